/* C tests of polc_policy_deploy: Kubernetes (SPO), OCI and systemd objects. */
#include <polc.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", \
                    __FILE__, __LINE__, #cond, polc_last_error_message()); \
            failures++;                                                    \
        }                                                                  \
    } while (0)

#define HAS(text, part) ((text) != NULL && strstr((text), (part)) != NULL)

static const char POLICY[] =
    "policy org.example.app {\n"
    "    attach \"/usr/bin/app\"\n"
    "    allow read \"/etc/app/**\"\n"
    "    allow capability net_bind_service\n"
    "}\n";

int main(void) {
    polc_policy *p = NULL;
    CHECK(polc_policy_load("app.pol", (const uint8_t *)POLICY, strlen(POLICY), NULL, NULL, &p) ==
          POLC_STATUS_OK);

    polc_compile_config *aa = NULL, *ll = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_APP_ARMOR, &aa) == POLC_STATUS_OK);
    CHECK(polc_compile_config_new(POLC_LSM_LANDLOCK, &ll) == POLC_STATUS_OK);
    char *text = NULL, *report = NULL;
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_SPO_APP_ARMOR, aa, NULL, &text, &report) ==
          POLC_STATUS_OK);
    CHECK(HAS(text, "kind: AppArmorProfile\n"));
    CHECK(HAS(text, "- /etc/app/**[^/]\n"));
    CHECK(HAS(report, "\"backend\":\"spo-apparmor\""));
    polc_string_free(text);
    polc_string_free(report);

    text = NULL;
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_SYSTEMD, aa, NULL, &text, NULL) ==
          POLC_STATUS_OK);
    CHECK(HAS(text, "AppArmorProfile=org.example.app\n"));
    CHECK(HAS(text, "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"));
    polc_string_free(text);

    text = NULL;
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_OCI, ll, NULL, &text, NULL) ==
          POLC_STATUS_OK);
    CHECK(HAS(text, "\"/usr/bin/polc\""));
    CHECK(HAS(text, "\"noNewPrivileges\": true"));
    polc_string_free(text);

    /* A pod needs an image; with one it is made. */
    char *untouched = NULL;
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_K8S_POD, aa, NULL, &untouched, NULL) ==
          POLC_STATUS_COMPILE);
    CHECK(untouched == NULL);
    CHECK(HAS(polc_last_error_message(), "needs an image"));
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_K8S_POD, aa, "nginx:1.25", &text, NULL) ==
          POLC_STATUS_OK);
    CHECK(HAS(text, "localhostProfile: org-example-app\n"));
    polc_string_free(text);

    /* Strict: the abstract form always includes <abstractions/base>. */
    CHECK(polc_compile_config_set_strict(aa, true) == POLC_STATUS_OK);
    CHECK(polc_policy_deploy(p, POLC_DEPLOY_TARGET_SPO_APP_ARMOR, aa, NULL, &untouched, NULL) ==
          POLC_STATUS_STRICT);
    CHECK(untouched == NULL);
    CHECK(polc_policy_deploy(NULL, POLC_DEPLOY_TARGET_OCI, aa, NULL, &untouched, NULL) ==
          POLC_STATUS_NULL_ARGUMENT);

    /* A target that is not a polc_deploy_target is refused, not undefined behaviour. */
    CHECK(polc_policy_deploy(p, 0, aa, NULL, &untouched, NULL) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_policy_deploy(p, 8, aa, NULL, &untouched, NULL) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_policy_deploy(p, 0xffffffffu, aa, NULL, &untouched, NULL) ==
          POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "`4294967295` is not a polc_deploy_target"));
    CHECK(untouched == NULL);

    polc_compile_config_free(aa);
    polc_compile_config_free(ll);

    polc_policy_free(p);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
