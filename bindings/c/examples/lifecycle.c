/* An installer's whole path: check a policy, compile it for the host's LSM, install it
 * transactionally, start the program confined, and roll back when it fails.
 *
 *   lifecycle POLICY_FILE STORE_ROOT apparmor|selinux|landlock PROGRAM [ARG...]
 *
 * Exit status: 0 installed and the program succeeded; 1 refused (errors, strict, kernel)
 * or the program failed under the new generation, which was then rolled back (or removed
 * when there was none before); 2 usage. */
#include <polc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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
    if (argc < 5) {
        fprintf(stderr, "usage: %s POLICY STORE_ROOT apparmor|selinux|landlock PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    if (polc_abi_version() != POLC_ABI_VERSION) {
        fprintf(stderr, "libpolc has ABI %u, this program was built for %d\n", polc_abi_version(),
                POLC_ABI_VERSION);
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
    polc_diagnostics *diags = NULL;
    polc_policy *policy = NULL;
    polc_compile_config *config = NULL;
    polc_store *store = NULL;
    char *confinement = NULL;

    /* 1. Check: every error and warning, with its code and location. */
    if (polc_diagnostics_new(&diags) != POLC_STATUS_OK) goto out;
    polc_status st = polc_policy_load(argv[1], (const uint8_t *)text, len, NULL, diags, &policy);
    for (size_t i = 0; i < polc_diagnostics_count(diags); i++) {
        size_t line = 0, col = 0;
        polc_diagnostics_location(diags, i, &line, &col);
        fprintf(stderr, "%s:%zu:%zu: %s[%s]: %s\n", polc_diagnostics_file(diags, i), line, col,
                polc_diagnostics_is_error(diags, i) ? "error" : "warning",
                polc_diagnostics_code(diags, i), polc_diagnostics_message(diags, i));
    }
    if (st != POLC_STATUS_OK) goto out;
    const char *name = polc_policy_name(policy);

    /* 2. Compile for the host's LSM, strictly: what the kernel cannot enforce as written
     * is refused (the fidelity report says rule by rule). */
    if (polc_compile_config_new(lsm, &config) != POLC_STATUS_OK ||
        polc_compile_config_set_strict(config, true) != POLC_STATUS_OK)
        goto out;

    /* 3. Install transactionally: a new generation, the previous one kept. */
    if (polc_store_open(argv[2], &store) != POLC_STATUS_OK) goto out;
    uint64_t previous = 0, generation = 0;
    int had_previous = polc_store_current(store, name, &previous) == POLC_STATUS_OK;
    if (polc_store_install(store, policy, config, &generation) != POLC_STATUS_OK) goto out;
    printf("installed %s generation %llu\n", name, (unsigned long long)generation);

    /* 4. Start the program confined, and wait for it. */
    int pid = 0, wstatus = 0;
    st = polc_spawn(policy, lsm, (const char *const *)(argv + 4), NULL, &pid, &confinement);
    int ok = st == POLC_STATUS_OK && waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus) &&
             WEXITSTATUS(wstatus) == 0;
    /* The confinement is JSON: {"lsm": ..., "enforcing": ..., "detail": {...}}. */
    if (st == POLC_STATUS_OK)
        printf("confined by %s, %s\n", argv[3],
               strstr(confinement, "\"enforcing\":true") ? "enforcing" : "NOT enforcing");
    else fprintf(stderr, "lifecycle: %s: %s\n", polc_status_str(st), polc_last_error_message());

    /* 5. Roll back when the program fails under the new generation. */
    if (ok) {
        rc = 0;
    } else if (had_previous) {
        uint64_t back = 0;
        if (polc_store_rollback(store, name, &back) == POLC_STATUS_OK)
            printf("%s failed: rolled back to generation %llu\n", argv[4], (unsigned long long)back);
    } else if (polc_store_remove(store, name) == POLC_STATUS_OK) {
        printf("%s failed: removed %s\n", argv[4], name);
    }
    if (!ok) goto done;
out:
    if (rc == 1) fprintf(stderr, "lifecycle: %s\n", polc_last_error_message());
done:
    polc_string_free(confinement);
    polc_store_free(store);
    polc_compile_config_free(config);
    polc_policy_free(policy);
    polc_diagnostics_free(diags);
    free(text);
    return rc;
}
