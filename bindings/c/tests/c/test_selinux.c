/* C tests of compiling for a real SELinux system: the target's file and port contexts,
 * launchers and attributes set on a polc_compile_config, and the statuses of bad ones.
 *
 *   test_selinux FILE_CONTEXTS WORKDIR
 *
 * FILE_CONTEXTS is Debian's reference policy file_contexts, WORKDIR an empty directory
 * for the port contexts files. The policy uses `base`, whose paths the target labels:
 * compiling it is the slow part (a minute under valgrind), so it is done once. */
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
    "policy org.example.webapp {\n"
    "    attach \"/usr/bin/webapp\"\n"
    "    use base\n"
    "    owns \"/var/lib/webapp/**\"\n"
    "    allow read \"/etc/ssl/**\"\n"
    "    allow read write create \"/var/lib/webapp/**\"\n"
    "    allow net connect tcp 443\n"
    "}\n";

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The lines `seinfo --portcon --initialsid -x POLICY` prints that matter here. */
static const char PORTS[] =
    "Initial SIDs: 2\n"
    "   sid node system_u:object_r:node_t:s0\n"
    "   sid port system_u:object_r:port_t:s0\n"
    "Portcon: 1\n"
    "   portcon tcp 443 system_u:object_r:http_port_t:s0\n";

/* Compiling with `config` fails with `want`: nothing is written, the message says `what`. */
static void refused(const polc_policy *p, const polc_compile_config *config, polc_status want,
                    const char *what) {
    char *untouched = NULL;
    CHECK(polc_policy_compile(p, config, &untouched, NULL) == want);
    CHECK(untouched == NULL);
    CHECK(HAS(polc_last_error_message(), what));
    polc_string_free(untouched);
}

/* A config for SELinux with the target's contexts, launchers and attributes. */
static polc_compile_config *good_config(const char *fc, const char *ports) {
    polc_compile_config *se = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_SE_LINUX, &se) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_file_contexts(se, fc) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_port_contexts(se, ports) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_launchers(
              se, "unconfined_t:unconfined_r, sysadm_t:sysadm_r") == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_attributes(se, "domain=domain,file=file_type") ==
          POLC_STATUS_OK);
    return se;
}

static void test_compile(const polc_policy *p, const char *fc, const char *ports,
                         const char *bad_ports, const char *missing) {
    /* Without the target's file contexts, paths the policy does not own cannot be labelled;
     * the advice names the setter. */
    polc_compile_config *bare = NULL;
    CHECK(polc_compile_config_new(POLC_LSM_SE_LINUX, &bare) == POLC_STATUS_OK);
    refused(p, bare, POLC_STATUS_COMPILE, "polc_compile_config_set_selinux_file_contexts");
    polc_compile_config_free(bare);

    /* With them, launchers and attributes joining the target's policy. */
    polc_compile_config *se = good_config(fc, ports);
    char *cil = NULL, *report = NULL;
    CHECK(polc_policy_compile(p, se, &cil, &report) == POLC_STATUS_OK);
    CHECK(HAS(cil, "(block org_example_webapp"));
    CHECK(HAS(cil, "(allow domain .http_port_t (tcp_socket (name_connect)))"));
    CHECK(HAS(cil, "(roletype .unconfined_r domain)"));
    CHECK(HAS(cil, "(typetransition .unconfined_t entry process domain)"));
    CHECK(HAS(cil, "(typetransition .sysadm_t entry process domain)"));
    CHECK(HAS(cil, "(typeattributeset .domain (domain))"));
    CHECK(HAS(cil, "(typeattributeset .file_type (entry owned_0))"));
    CHECK(HAS(report, "\"backend\":\"selinux\""));
    polc_string_free(cil);
    polc_string_free(report);
    polc_compile_config_free(se);

    /* Malformed fields are refused before anything is compiled, naming the field. */
    polc_compile_config *bad = good_config(fc, ports);
    CHECK(polc_compile_config_set_selinux_launchers(bad, "unconfined_t") == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "`config.selinux_launchers`: `unconfined_t` is not TYPE:ROLE");
    CHECK(polc_compile_config_set_selinux_launchers(bad, "t) (allow t self (process (setcurrent:r") ==
          POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "config.selinux_launchers");
    CHECK(polc_compile_config_set_selinux_launchers(bad, NULL) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_attributes(bad, "domain=domain,dir=file_type") == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "`dir=file_type` is not KIND=ATTRIBUTE");
    /* Invalid UTF-8 is refused by the setter, which leaves the field as it was. */
    CHECK(polc_compile_config_set_selinux_attributes(bad, "\xff\xfe") == POLC_STATUS_INVALID_UTF8);
    CHECK(HAS(polc_last_error_message(), "selinux_attributes"));
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "`dir=file_type` is not KIND=ATTRIBUTE");
    CHECK(polc_compile_config_set_selinux_attributes(bad, NULL) == POLC_STATUS_OK);

    /* Contexts files: unreadable is an I/O error, malformed an invalid argument; both name
     * the file (and the line). */
    CHECK(polc_compile_config_set_selinux_file_contexts(bad, missing) == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_IO, missing);
    CHECK(polc_compile_config_set_selinux_file_contexts(bad, fc) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_port_contexts(bad, missing) == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_IO, "cannot read");
    CHECK(HAS(polc_last_error_message(), missing));
    CHECK(polc_compile_config_set_selinux_port_contexts(bad, bad_ports) == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "is not a port contexts listing");
    CHECK(HAS(polc_last_error_message(), bad_ports));
    CHECK(HAS(polc_last_error_message(), ":2: bad port range"));
    CHECK(polc_compile_config_set_selinux_port_contexts(bad, ports) == POLC_STATUS_OK);
    CHECK(polc_compile_config_set_selinux_file_contexts(bad, bad_ports) == POLC_STATUS_OK);
    refused(p, bad, POLC_STATUS_INVALID_ARGUMENT, "is not a file_contexts file");
    polc_compile_config_free(bad);
}

static void test_store(const polc_policy *p, const char *root, const char *fc, const char *ports) {
    /* The store reads the same config: a bad one installs nothing. The good one is not
     * installed here, since that would load the module with semodule. */
    polc_store *store = NULL;
    CHECK(polc_store_open(root, &store) == POLC_STATUS_OK);
    polc_compile_config *se = good_config(fc, ports);
    CHECK(polc_compile_config_set_selinux_launchers(se, "unconfined_t") == POLC_STATUS_OK);
    uint64_t generation = 77;
    CHECK(polc_store_install(store, p, se, &generation) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "not TYPE:ROLE"));
    CHECK(generation == 77);
    CHECK(polc_store_current(store, "org.example.webapp", &generation) == POLC_STATUS_NOT_FOUND);
    polc_store_free(store);
    polc_compile_config_free(se);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE_CONTEXTS WORKDIR\n", argv[0]);
        return 2;
    }
    char ports[4096], bad_ports[4096], missing[4096], root[4096];
    snprintf(ports, sizeof ports, "%s/ports", argv[2]);
    snprintf(bad_ports, sizeof bad_ports, "%s/bad-ports", argv[2]);
    snprintf(missing, sizeof missing, "%s/no-such-file", argv[2]);
    snprintf(root, sizeof root, "%s/store", argv[2]);
    write_file(ports, PORTS);
    write_file(bad_ports, "portcon tcp 443 system_u:object_r:http_port_t:s0\n"
                          "portcon tcp 9-1 system_u:object_r:http_port_t:s0\n");

    polc_policy *p = NULL;
    CHECK(polc_policy_load("webapp.pol", (const uint8_t *)POLICY, strlen(POLICY), NULL, NULL, &p) ==
          POLC_STATUS_OK);
    if (p) {
        test_compile(p, argv[1], ports, bad_ports, missing);
        test_store(p, root, argv[1], ports);
    }
    polc_policy_free(p);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c api: all checks passed\n");
    return 0;
}
