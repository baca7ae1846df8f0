/* C tests of the polc API: loading, diagnostics, IR, NULL handling. */
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

static const char GOOD[] =
    "policy org.example.app {\n"
    "    var data = \"/srv/app\"\n"
    "    allow read \"${data}/**\"\n"
    "    deny read \"${data}/secret\"\n"
    "}\n";

static const char BAD[] =
    "policy org.example.bad {\n"
    "    allow read \"relative/path\"\n"
    "    allow frobnicate \"/etc/x\"\n"
    "}\n";

static void test_good(void) {
    polc_options *opts = NULL;
    polc_diagnostics *diags = NULL;
    polc_policy *policy = NULL;
    CHECK(polc_options_new(&opts) == POLC_STATUS_OK);
    CHECK(polc_options_set_var(opts, "data", "/var/lib/app") == POLC_STATUS_OK);
    CHECK(polc_diagnostics_new(&diags) == POLC_STATUS_OK);
    CHECK(polc_policy_load("app.pol", (const uint8_t *)GOOD, strlen(GOOD), opts, diags, &policy) ==
          POLC_STATUS_OK);
    CHECK(policy != NULL);
    CHECK(strcmp(polc_policy_name(policy), "org.example.app") == 0);
    char *ir = NULL;
    CHECK(polc_policy_ir_json(policy, &ir) == POLC_STATUS_OK);
    CHECK(ir != NULL && strstr(ir, "/var/lib/app/**") != NULL);
    CHECK(ir != NULL && strstr(ir, "/srv/app") == NULL);
    polc_string_free(ir);
    polc_policy_free(policy);
    polc_diagnostics_free(diags);
    polc_options_free(opts);
}

static void test_bad(void) {
    polc_diagnostics *diags = NULL;
    polc_policy *policy = NULL;
    CHECK(polc_diagnostics_new(&diags) == POLC_STATUS_OK);
    CHECK(polc_policy_load("bad.pol", (const uint8_t *)BAD, strlen(BAD), NULL, diags, &policy) ==
          POLC_STATUS_INVALID_POLICY);
    CHECK(policy == NULL); /* out-parameters are written only on success */
    CHECK(polc_diagnostics_count(diags) == 2);
    int saw_relative = 0, saw_right = 0;
    for (size_t i = 0; i < polc_diagnostics_count(diags); i++) {
        const char *code = polc_diagnostics_code(diags, i);
        size_t line = 0, column = 0;
        CHECK(polc_diagnostics_location(diags, i, &line, &column) == POLC_STATUS_OK);
        CHECK(polc_diagnostics_is_error(diags, i));
        CHECK(strcmp(polc_diagnostics_file(diags, i), "bad.pol") == 0);
        CHECK(strlen(polc_diagnostics_message(diags, i)) > 0);
        CHECK(strlen(polc_diagnostics_help(diags, i)) > 0);
        if (strcmp(code, "E0120") == 0) {
            saw_relative = 1;
            CHECK(line == 2);
        }
        if (strcmp(code, "E0101") == 0) {
            saw_right = 1;
            CHECK(line == 3 && column == 11);
        }
    }
    CHECK(saw_relative && saw_right);
    CHECK(polc_diagnostics_code(diags, 99) == NULL);
    size_t l, c;
    CHECK(polc_diagnostics_location(diags, 99, &l, &c) == POLC_STATUS_NOT_FOUND);
    polc_diagnostics_free(diags);
}

static void test_nulls(void) {
    polc_policy *policy = NULL;
    CHECK(polc_policy_load(NULL, (const uint8_t *)GOOD, strlen(GOOD), NULL, NULL, &policy) ==
          POLC_STATUS_NULL_ARGUMENT);
    CHECK(polc_policy_load("a.pol", NULL, 0, NULL, NULL, &policy) == POLC_STATUS_NULL_ARGUMENT);
    CHECK(polc_policy_load("a.pol", (const uint8_t *)GOOD, strlen(GOOD), NULL, NULL, NULL) ==
          POLC_STATUS_NULL_ARGUMENT);
    CHECK(strlen(polc_last_error_message()) > 0);
    const uint8_t bad_utf8[] = {0xff, 0xfe};
    CHECK(polc_policy_load("a.pol", bad_utf8, 2, NULL, NULL, &policy) == POLC_STATUS_INVALID_UTF8);
    CHECK(polc_options_new(NULL) == POLC_STATUS_NULL_ARGUMENT);
    CHECK(polc_options_set_var(NULL, "a", "b") == POLC_STATUS_NULL_ARGUMENT);
    CHECK(polc_diagnostics_count(NULL) == 0);
    CHECK(polc_policy_name(NULL) == NULL);
    polc_policy_free(NULL);
    polc_diagnostics_free(NULL);
    polc_options_free(NULL);
    polc_string_free(NULL);
    CHECK(strlen(polc_version()) > 0);
    CHECK(!polc_diagnostics_is_error(NULL, 0));
}

static void test_status_str(void) {
    CHECK(strcmp(polc_status_str(POLC_STATUS_OK), "ok") == 0);
    CHECK(strcmp(polc_status_str(POLC_STATUS_INVALID_ARGUMENT), "invalid argument") == 0);
    CHECK(strcmp(polc_status_str(POLC_STATUS_PANIC), "internal error (panic)") == 0);
    /* Every status has its own name; other values are named unknown, never undefined. */
    const polc_status all[] = {POLC_STATUS_OK, POLC_STATUS_NULL_ARGUMENT, POLC_STATUS_INVALID_UTF8,
                               POLC_STATUS_INVALID_POLICY, POLC_STATUS_IO, POLC_STATUS_COMPILE,
                               POLC_STATUS_STRICT, POLC_STATUS_STORE, POLC_STATUS_NOT_FOUND,
                               POLC_STATUS_INVALID_ARGUMENT, POLC_STATUS_CONFINE, POLC_STATUS_PANIC};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(strcmp(polc_status_str(all[i]), "unknown status") != 0);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(polc_status_str(all[i]), polc_status_str(all[j])) != 0);
    }
    CHECK(strcmp(polc_status_str(11), "unknown status") == 0);
    CHECK(strcmp(polc_status_str(0xffffffffu), "unknown status") == 0);
}

int main(void) {
    test_good();
    test_bad();
    test_nulls();
    test_status_str();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c api: all checks passed\n");
    return 0;
}
