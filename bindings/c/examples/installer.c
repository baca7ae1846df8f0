/* A minimal package-manager hook: install (or upgrade) a package's policy.
 *
 *   installer POLICY_FILE STORE_ROOT apparmor|selinux|landlock [NAME=VALUE...]
 *
 * Loads the policy with the given install-time variables, prints every diagnostic
 * with its location, compiles it for the LSM in strict mode, and installs it as a
 * new generation. Exit status: 0 installed, 1 refused (errors, strict, kernel), 2 usage.
 *
 * For SELinux the target's contexts come from the environment: POLC_SELINUX_FILE_CONTEXTS
 * (default: Debian's /etc/selinux/default/contexts/files/file_contexts),
 * POLC_SELINUX_PORT_CONTEXTS (the output of `seinfo --portcon -x POLICY`, saved to a file),
 * POLC_SELINUX_LAUNCHERS (e.g. unconfined_t:unconfined_r) and POLC_SELINUX_ATTRIBUTES
 * (e.g. domain=domain,file=file_type), each unset for none. */
#include <polc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *bigger = realloc(buf, cap);
            if (!bigger) { free(buf); fclose(f); return NULL; }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s POLICY STORE_ROOT apparmor|selinux|landlock [NAME=VALUE...]\n", argv[0]);
        return 2;
    }
    polc_lsm lsm;
    if (strcmp(argv[3], "apparmor") == 0) lsm = POLC_LSM_APP_ARMOR;
    else if (strcmp(argv[3], "selinux") == 0) lsm = POLC_LSM_SE_LINUX;
    else if (strcmp(argv[3], "landlock") == 0) lsm = POLC_LSM_LANDLOCK;
    else { fprintf(stderr, "unknown LSM %s\n", argv[3]); return 2; }

    size_t len = 0;
    char *text = read_file(argv[1], &len);
    if (!text) { perror(argv[1]); return 2; }

    int rc = 1;
    polc_options *opts = NULL;
    polc_diagnostics *diags = NULL;
    polc_policy *policy = NULL;
    polc_store *store = NULL;
    polc_compile_config *config = NULL;
    if (polc_options_new(&opts) != POLC_STATUS_OK || polc_diagnostics_new(&diags) != POLC_STATUS_OK) goto out;
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) { fprintf(stderr, "not NAME=VALUE: %s\n", argv[i]); rc = 2; goto out; }
        *eq = '\0';
        if (polc_options_set_var(opts, argv[i], eq + 1) != POLC_STATUS_OK) goto out;
    }

    polc_status st = polc_policy_load(argv[1], (const uint8_t *)text, len, opts, diags, &policy);
    for (size_t i = 0; i < polc_diagnostics_count(diags); i++) {
        size_t line = 0, col = 0;
        polc_diagnostics_location(diags, i, &line, &col);
        fprintf(stderr, "%s:%zu:%zu: %s[%s]: %s\n  help: %s\n", polc_diagnostics_file(diags, i), line, col,
                polc_diagnostics_is_error(diags, i) ? "error" : "warning", polc_diagnostics_code(diags, i),
                polc_diagnostics_message(diags, i), polc_diagnostics_help(diags, i));
    }
    if (st != POLC_STATUS_OK) goto out;

    if (polc_compile_config_new(lsm, &config) != POLC_STATUS_OK) goto out;
    /* an installer refuses policies the kernel cannot enforce as written */
    if (polc_compile_config_set_strict(config, true) != POLC_STATUS_OK) goto out;
    if (lsm == POLC_LSM_SE_LINUX) {
        const char *fc = getenv("POLC_SELINUX_FILE_CONTEXTS");
        if (polc_compile_config_set_selinux_file_contexts(
                config, fc ? fc : "/etc/selinux/default/contexts/files/file_contexts") != POLC_STATUS_OK ||
            polc_compile_config_set_selinux_port_contexts(config, getenv("POLC_SELINUX_PORT_CONTEXTS")) !=
                POLC_STATUS_OK ||
            polc_compile_config_set_selinux_launchers(config, getenv("POLC_SELINUX_LAUNCHERS")) != POLC_STATUS_OK ||
            polc_compile_config_set_selinux_attributes(config, getenv("POLC_SELINUX_ATTRIBUTES")) != POLC_STATUS_OK)
            goto out;
    }
    if (polc_store_open(argv[2], &store) != POLC_STATUS_OK) goto out;
    uint64_t generation = 0;
    st = polc_store_install(store, policy, config, &generation);
    if (st != POLC_STATUS_OK) goto out;
    printf("installed %s generation %llu\n", polc_policy_name(policy), (unsigned long long)generation);
    rc = 0;
out:
    if (rc == 1) fprintf(stderr, "installer: %s\n", polc_last_error_message());
    polc_store_free(store);
    polc_compile_config_free(config);
    polc_policy_free(policy);
    polc_diagnostics_free(diags);
    polc_options_free(opts);
    free(text);
    return rc;
}
