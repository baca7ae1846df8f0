/* C tests of polc_policy_explain and polc_policy_diff: text as polc explain/diff print
 * it, JSON as their --format json, and the refusals. */
#include <polc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                    polc_last_error_message());                                          \
            failures++;                                                                  \
        }                                                                                \
    } while (0)
#define HAS(s, sub) ((s) != NULL && strstr((s), (sub)) != NULL)

static const char OLD[] = "policy org.example.app {\n"
                          "    allow read \"/etc/app/**\"\n"
                          "    deny read \"/etc/app/secret\"\n"
                          "}\n";
static const char NEW[] = "policy org.example.app {\n"
                          "    allow read \"/etc/app/**\"\n"
                          "    deny read \"/etc/app/secret\"\n"
                          "    allow write \"/var/lib/app/**\"\n"
                          "}\n";

static polc_policy *load(const char *name, const char *text) {
    polc_policy *p = NULL;
    CHECK(polc_policy_load(name, (const uint8_t *)text, strlen(text), NULL, NULL, &p) ==
          POLC_STATUS_OK);
    return p;
}

static void test_explain(const polc_policy *p) {
    char *out = NULL;
    CHECK(polc_policy_explain(p, "read /etc/app/app.conf", POLC_FORMAT_TEXT, &out) == POLC_STATUS_OK);
    CHECK(HAS(out, "allowed: read /etc/app/app.conf\n"));
    CHECK(HAS(out, "old.pol:2:5"));
    polc_string_free(out);

    out = NULL;
    CHECK(polc_policy_explain(p, "read /etc/app/secret", POLC_FORMAT_TEXT, &out) == POLC_STATUS_OK);
    CHECK(HAS(out, "denied: read /etc/app/secret\n"));
    CHECK(HAS(out, "deny wins over allow"));
    polc_string_free(out);

    out = NULL;
    CHECK(polc_policy_explain(p, "net connect:tcp:443", POLC_FORMAT_JSON, &out) == POLC_STATUS_OK);
    CHECK(HAS(out, "\"allowed\": false"));
    polc_string_free(out);

    char *untouched = NULL;
    CHECK(polc_policy_explain(p, "reed /etc/app/x", POLC_FORMAT_TEXT, &untouched) ==
          POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "unknown access right `reed`"));
    CHECK(polc_policy_explain(p, "/etc/app/x", POLC_FORMAT_TEXT, &untouched) ==
          POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "is not a request"));
    CHECK(polc_policy_explain(p, "read /etc/app/x", 3, &untouched) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "`3` is not a polc_format"));
    CHECK(polc_policy_explain(p, NULL, POLC_FORMAT_TEXT, &untouched) == POLC_STATUS_NULL_ARGUMENT);
    CHECK(untouched == NULL);
}

static void test_diff(const polc_policy *old, const polc_policy *new_) {
    char *out = NULL;
    bool changed = false;
    CHECK(polc_policy_diff(old, new_, POLC_FORMAT_TEXT, &out, &changed) == POLC_STATUS_OK);
    CHECK(changed);
    CHECK(HAS(out, "--- old.pol"));
    CHECK(HAS(out, "+++ new.pol"));
    CHECK(HAS(out, "/var/lib/app/"));
    polc_string_free(out);

    out = NULL;
    CHECK(polc_policy_diff(old, new_, POLC_FORMAT_JSON, &out, NULL) == POLC_STATUS_OK);
    CHECK(HAS(out, "\"summary\""));
    polc_string_free(out);

    out = NULL;
    changed = true;
    CHECK(polc_policy_diff(old, old, POLC_FORMAT_JSON, &out, &changed) == POLC_STATUS_OK);
    CHECK(!changed);
    polc_string_free(out);

    char *untouched = NULL;
    CHECK(polc_policy_diff(old, NULL, POLC_FORMAT_TEXT, &untouched, NULL) == POLC_STATUS_NULL_ARGUMENT);
    CHECK(polc_policy_diff(old, new_, 0, &untouched, NULL) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(untouched == NULL);
}

/* A plug added to an app changes no rule but is a difference (as `polc diff` exits 1). */
static void test_plug_diff(void) {
    static const char FW[] =
        "framework org.example.fw {\n    provides data {\n        allow read \"/srv/**\"\n    }\n}\n";
    static const char APP0[] = "policy org.example.app {\n    app\n}\n";
    static const char APP1[] = "policy org.example.app {\n    app\n    plugs data\n}\n";
    polc_options *o = NULL;
    CHECK(polc_options_new(&o) == POLC_STATUS_OK);
    CHECK(polc_options_add_abstraction(o, "fw.pol", FW) == POLC_STATUS_OK);
    polc_policy *a = NULL, *b = NULL;
    CHECK(polc_policy_load("a.pol", (const uint8_t *)APP0, strlen(APP0), o, NULL, &a) ==
          POLC_STATUS_OK);
    CHECK(polc_policy_load("b.pol", (const uint8_t *)APP1, strlen(APP1), o, NULL, &b) ==
          POLC_STATUS_OK);
    char *out = NULL;
    bool changed = false;
    CHECK(a && b && polc_policy_diff(a, b, POLC_FORMAT_TEXT, &out, &changed) == POLC_STATUS_OK);
    CHECK(changed);
    CHECK(HAS(out, "+ plug data of org.example.fw: added, not connected"));
    polc_string_free(out);
    polc_policy_free(a);
    polc_policy_free(b);
    polc_options_free(o);
}

int main(void) {
    test_plug_diff();
    polc_policy *old = load("old.pol", OLD);
    polc_policy *new_ = load("new.pol", NEW);
    if (old && new_) {
        test_explain(old);
        test_diff(old, new_);
    }
    polc_policy_free(old);
    polc_policy_free(new_);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c api: all checks passed\n");
    return 0;
}
