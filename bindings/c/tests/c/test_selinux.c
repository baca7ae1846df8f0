/* C tests of compiling for a real SELinux system: the target's file and port contexts,
 * launchers and attributes in polc_compile_config, and the statuses of bad ones.
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

static void test_compile(const polc_policy *p, const char *fc, const char *ports,
                         const char *bad_ports, const char *missing) {
    /* Without the target's file contexts, paths the policy does not own cannot be labelled. */
    polc_compile_config se = polc_compile_config_default(POLC_LSM_SE_LINUX);
    CHECK(se.selinux_file_contexts == NULL && se.selinux_port_contexts == NULL);
    CHECK(se.selinux_launchers == NULL && se.selinux_attributes == NULL);
    refused(p, &se, POLC_STATUS_COMPILE, "config.selinux_file_contexts");

    /* With them, launchers and attributes joining the target's policy. */
    se.selinux_file_contexts = fc;
    se.selinux_port_contexts = ports;
    se.selinux_launchers = "unconfined_t:unconfined_r, sysadm_t:sysadm_r";
    se.selinux_attributes = "domain=domain,file=file_type";
    char *cil = NULL, *report = NULL;
    CHECK(polc_policy_compile(p, &se, &cil, &report) == POLC_STATUS_OK);
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

    /* Malformed fields are refused before anything is compiled, naming the field. */
    polc_compile_config bad = se;
    bad.selinux_launchers = "unconfined_t";
    refused(p, &bad, POLC_STATUS_INVALID_ARGUMENT, "`config.selinux_launchers`: `unconfined_t` is not TYPE:ROLE");
    bad.selinux_launchers = "t) (allow t self (process (setcurrent:r";
    refused(p, &bad, POLC_STATUS_INVALID_ARGUMENT, "config.selinux_launchers");
    bad = se;
    bad.selinux_attributes = "domain=domain,dir=file_type";
    refused(p, &bad, POLC_STATUS_INVALID_ARGUMENT, "`dir=file_type` is not KIND=ATTRIBUTE");
    bad = se;
    bad.selinux_attributes = "\xff\xfe";
    refused(p, &bad, POLC_STATUS_INVALID_UTF8, "config.selinux_attributes");

    /* Contexts files: unreadable is an I/O error, malformed an invalid argument; both name
     * the file (and the line). */
    bad = se;
    bad.selinux_file_contexts = missing;
    refused(p, &bad, POLC_STATUS_IO, missing);
    bad = se;
    bad.selinux_port_contexts = missing;
    refused(p, &bad, POLC_STATUS_IO, "cannot read");
    CHECK(HAS(polc_last_error_message(), missing));
    bad = se;
    bad.selinux_port_contexts = bad_ports;
    refused(p, &bad, POLC_STATUS_INVALID_ARGUMENT, "is not a port contexts listing");
    CHECK(HAS(polc_last_error_message(), bad_ports));
    CHECK(HAS(polc_last_error_message(), ":2: bad port range"));
    bad = se;
    bad.selinux_file_contexts = bad_ports;
    refused(p, &bad, POLC_STATUS_INVALID_ARGUMENT, "is not a file_contexts file");
}

static void test_store(const polc_policy *p, const char *root, const char *fc, const char *ports) {
    /* The store reads the same config: a bad one installs nothing. The good one is not
     * installed here, since that would load the module with semodule. */
    polc_store *store = NULL;
    CHECK(polc_store_open(root, &store) == POLC_STATUS_OK);
    polc_compile_config se = polc_compile_config_default(POLC_LSM_SE_LINUX);
    se.selinux_file_contexts = fc;
    se.selinux_port_contexts = ports;
    se.selinux_launchers = "unconfined_t";
    uint64_t generation = 77;
    CHECK(polc_store_install(store, p, &se, &generation) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(HAS(polc_last_error_message(), "not TYPE:ROLE"));
    CHECK(generation == 77);
    CHECK(polc_store_current(store, "org.example.webapp", &generation) == POLC_STATUS_NOT_FOUND);
    polc_store_free(store);
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
