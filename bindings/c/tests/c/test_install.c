/* C tests of compiling and of the store: an installer's path in C. */
#include <polc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", \
                    __FILE__, __LINE__, #cond, polc_last_error_message()); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

static const char POLICY[] =
    "policy org.example.app {\n"
    "    attach \"/usr/bin/app\"\n"
    "    allow read \"/etc/app/**\"\n"
    "    deny read \"/etc/app/secret\"\n"
    "    allow net connect tcp 443\n"
    "}\n";

static polc_policy *load(void) {
    polc_policy *p = NULL;
    CHECK(polc_policy_load("app.pol", (const uint8_t *)POLICY, strlen(POLICY), NULL, NULL, &p) ==
          POLC_STATUS_OK);
    return p;
}

static void test_compile(polc_policy *p) {
    polc_compile_config *aa = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_APP_ARMOR, &aa) == POLC_STATUS_OK);
    char *profile = NULL, *report = NULL;
    CHECK(polc_policy_compile(p, aa, &profile, &report) == POLC_STATUS_OK);
    CHECK(profile && strstr(profile, "profile \"org.example.app\" \"/usr/bin/app\"") != NULL);
    CHECK(report && strstr(report, "\"widened\"") != NULL); /* tcp 443 on ABI 3.0 */
    polc_string_free(profile);
    polc_string_free(report);

    CHECK(polc_compile_config_set_strict(aa, true) == POLC_STATUS_OK);
    char *untouched = NULL;
    CHECK(polc_policy_compile(p, aa, &untouched, NULL) == POLC_STATUS_STRICT);
    CHECK(untouched == NULL);
    CHECK(strstr(polc_last_error_message(), "strict") != NULL);

    /* Out-of-range values are refused by the setters, and the config is unchanged. */
    CHECK(polc_compile_config_set_strict(aa, false) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_apparmor_abi(aa, 9) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(polc_last_error_message(), "unknown AppArmor ABI `9`") != NULL);
    CHECK(polc_compile_config_set_landlock_abi(aa, 0) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_compile_config_set_landlock_abi(aa, 256 + 3) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_compile_config_set_lsm(aa, 0) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_compile_config_set_lsm(aa, 4) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(polc_last_error_message(), "`4` is not a polc_lsm") != NULL);
    CHECK(polc_compile_config_set_lsm(NULL, POLC_LSM_LANDLOCK) == POLC_STATUS_NULL_ARGUMENT);
    polc_compile_config *none = NULL;
    CHECK(polc_compile_config_new(77, &none) == POLC_STATUS_INVALID_ARGUMENT && none == NULL);
    profile = NULL;
    CHECK(polc_policy_compile(p, aa, &profile, NULL) == POLC_STATUS_OK); /* still AppArmor */
    CHECK(profile && strstr(profile, "profile \"org.example.app\"") != NULL);
    polc_string_free(profile);

    /* The setters change the handle: the same config now compiles for Landlock ABI 1. */
    CHECK(polc_compile_config_set_lsm(aa, POLC_LSM_LANDLOCK) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_landlock_abi(aa, 1) == POLC_STATUS_OK);
    char *plan = NULL;
    CHECK(polc_policy_compile(p, aa, &plan, NULL) == POLC_STATUS_OK);
    CHECK(plan && strstr(plan, "\"policy\": \"org.example.app\"") != NULL);
    CHECK(plan && strstr(plan, "\"abi\": 1") != NULL);
    polc_string_free(plan);
    polc_compile_config_free(aa);
    polc_compile_config_free(NULL);
}

static void test_store(polc_policy *p, const char *root) {
    polc_store *store = NULL;
    CHECK(polc_store_open(root, &store) == POLC_STATUS_OK);
    polc_compile_config *ll = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_LANDLOCK, &ll) == POLC_STATUS_OK);
    uint64_t g1 = 0, g2 = 0, cur = 0, back = 0;
    CHECK(polc_store_install(store, p, ll, &g1) == POLC_STATUS_OK);
    CHECK(polc_store_install(store, p, ll, &g2) == POLC_STATUS_OK);
    CHECK(g1 == 1 && g2 == 2);
    CHECK(polc_store_current(store, "org.example.app", &cur) == POLC_STATUS_OK && cur == 2);
    CHECK(polc_store_rollback(store, "org.example.app", &back) == POLC_STATUS_OK && back == 1);
    uint64_t untouched = 77;
    CHECK(polc_store_rollback(store, "org.example.app", &untouched) == POLC_STATUS_NOT_FOUND);
    CHECK(untouched == 77);
    CHECK(polc_store_rollback(store, "Bad_Name", &untouched) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_store_remove(store, "org.example.app") == POLC_STATUS_OK);
    CHECK(polc_store_current(store, "org.example.app", &cur) == POLC_STATUS_NOT_FOUND);
    CHECK(polc_store_install(NULL, p, ll, &g1) == POLC_STATUS_NULL_ARGUMENT);
    polc_store_free(store);
    polc_store_free(NULL);
    polc_compile_config_free(ll);
}

static const char FRAMEWORK[] =
    "framework org.example.vault {\n"
    "    provides secrets {\n"
    "        allow read \"/srv/secrets/**\"\n"
    "    }\n"
    "    provides logs auto {\n"
    "        allow read \"/var/log/vault/**\"\n"
    "    }\n"
    "}\n";

static const char APP[] =
    "policy org.example.reader {\n"
    "    app\n"
    "    plugs secrets, logs\n"
    "    allow read \"/srv/secrets/**\"\n"
    "}\n";

/* An app's plug: connected and disconnected as new generations, rolled back. */
static void test_connections(const char *root) {
    polc_options *o = NULL;
    CHECK(polc_options_new(&o) == POLC_STATUS_OK);
    CHECK(polc_options_add_abstraction(o, "vault.pol", FRAMEWORK) == POLC_STATUS_OK);
    polc_policy *app = NULL;
    CHECK(polc_policy_load("reader.pol", (const uint8_t *)APP, strlen(APP), o, NULL, &app) ==
          POLC_STATUS_OK);
    polc_store *store = NULL;
    CHECK(polc_store_open(root, &store) == POLC_STATUS_OK);
    polc_compile_config *ll = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_LANDLOCK, &ll) == POLC_STATUS_OK);
    uint64_t g = 0;
    CHECK(app && polc_store_install(store, app, ll, &g) == POLC_STATUS_OK && g == 1);
    char *json = NULL;
    CHECK(polc_store_connections(store, "org.example.reader", &json) == POLC_STATUS_OK);
    CHECK(json && strstr(json, "\"interface\":\"secrets\",\"framework\":\"org.example.vault\","
                               "\"auto\":false,\"connected\":false") != NULL);
    polc_string_free(json);

    CHECK(polc_store_connect(store, "org.example.reader", "secrets", o, ll, &g) == POLC_STATUS_OK);
    CHECK(g == 2);
    CHECK(polc_store_connect(store, "org.example.reader", "secrets", o, ll, &g) == POLC_STATUS_OK);
    CHECK(g == 2); /* already connected: no new generation */
    json = NULL;
    CHECK(polc_store_connections(store, "org.example.reader", &json) == POLC_STATUS_OK);
    CHECK(json && strstr(json, "\"connected\":true,\"since\":2") != NULL);
    polc_string_free(json);

    CHECK(polc_store_disconnect(store, "org.example.reader", "logs", o, ll, &g) ==
          POLC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(polc_last_error_message(), "connected automatically") != NULL);
    CHECK(polc_store_connect(store, "org.example.reader", "docker", o, ll, &g) ==
          POLC_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(polc_last_error_message(), "plugs no interface `docker`") != NULL);
    /* Without the framework the installed source no longer loads. */
    CHECK(polc_store_disconnect(store, "org.example.reader", "secrets", NULL, ll, &g) ==
          POLC_STATUS_INVALID_POLICY);
    CHECK(strstr(polc_last_error_message(), "E0221") != NULL);
    CHECK(polc_store_disconnect(store, "org.example.reader", "secrets", o, ll, &g) ==
          POLC_STATUS_OK);
    CHECK(g == 3);
    CHECK(polc_store_rollback(store, "org.example.reader", &g) == POLC_STATUS_OK && g == 2);
    json = NULL;
    CHECK(polc_store_connections(store, "org.example.reader", &json) == POLC_STATUS_OK);
    CHECK(json && strstr(json, "\"generation\":2") != NULL);
    CHECK(json && strstr(json, "\"connected\":true,\"since\":2") != NULL);
    polc_string_free(json);
    CHECK(polc_store_connections(store, "org.example.app", &json) == POLC_STATUS_NOT_FOUND);
    CHECK(polc_store_connect(store, "org.example.reader", "secrets", o, NULL, &g) ==
          POLC_STATUS_NULL_ARGUMENT);
    polc_store_free(store);
    polc_compile_config_free(ll);
    polc_policy_free(app);
    polc_options_free(o);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s STORE_ROOT\n", argv[0]);
        return 2;
    }
    polc_policy *p = load();
    if (p) {
        test_compile(p);
        test_store(p, argv[1]);
    }
    test_connections(argv[1]);
    polc_policy_free(p);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c api: all checks passed\n");
    return 0;
}
