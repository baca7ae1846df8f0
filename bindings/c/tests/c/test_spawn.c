/* C test of polc_spawn on the host's Landlock: `cat` of an allowed file succeeds, of a
 * denied file fails, and the status says Landlock enforces.
 *
 *   test_spawn WORKDIR
 */
#include <polc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

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

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Spawn `cat FILE` under the policy on Landlock and return its exit code (-1: not started). */
static int cat(const polc_policy *p, const char *file, char **status_json) {
    const char *argv[] = {"cat", file, NULL};
    const char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
    int pid = 0, wstatus = 0;
    polc_status st = polc_spawn(p, POLC_LSM_LANDLOCK, argv, envp, &pid, status_json);
    CHECK(st == POLC_STATUS_OK);
    if (st != POLC_STATUS_OK) return -1;
    CHECK(pid > 0);
    CHECK(waitpid(pid, &wstatus, 0) == pid);
    CHECK(WIFEXITED(wstatus));
    return WEXITSTATUS(wstatus);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s WORKDIR\n", argv[0]);
        return 2;
    }
    char allowed[4096], denied[4096], policy[8192];
    snprintf(allowed, sizeof allowed, "%s/allowed", argv[1]);
    snprintf(denied, sizeof denied, "%s/denied", argv[1]);
    write_file(allowed, "allowed\n");
    write_file(denied, "denied\n");
    snprintf(policy, sizeof policy,
             "policy org.example.cat {\n"
             "    use base\n"
             "    allow read exec map-exec \"/usr/**\"\n"
             "    allow read \"%s\"\n"
             "}\n",
             allowed);

    polc_policy *p = NULL;
    CHECK(polc_policy_load("cat.pol", (const uint8_t *)policy, strlen(policy), NULL, NULL, &p) ==
          POLC_STATUS_OK);
    if (!p) return 1;

    char *status = NULL;
    CHECK(cat(p, allowed, &status) == 0);
    CHECK(HAS(status, "\"lsm\":\"landlock\""));
    CHECK(HAS(status, "\"enforcing\":true"));
    polc_string_free(status);
    /* The same policy: the file next to it is refused by the kernel, so cat fails. */
    CHECK(cat(p, denied, NULL) == 1);

    /* Refused before any fork: a program the policy cannot execute, a missing one, an
     * empty command line, an LSM that is not one. */
    int pid = 77;
    const char *none[] = {"/no/such/program", NULL};
    const char *empty[] = {NULL};
    const char *ok[] = {"true", NULL};
    CHECK(polc_spawn(p, POLC_LSM_LANDLOCK, none, NULL, &pid, NULL) == POLC_STATUS_NOT_FOUND);
    CHECK(polc_spawn(p, POLC_LSM_LANDLOCK, empty, NULL, &pid, NULL) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_spawn(p, 9, ok, NULL, &pid, NULL) == POLC_STATUS_INVALID_ARGUMENT);
    CHECK(polc_spawn(p, POLC_LSM_LANDLOCK, ok, NULL, NULL, NULL) == POLC_STATUS_NULL_ARGUMENT);
    CHECK(pid == 77);
    /* A program outside what the policy lets execute (the allowed file itself). */
    const char *outside[] = {allowed, NULL};
    CHECK(polc_spawn(p, POLC_LSM_LANDLOCK, outside, NULL, &pid, NULL) == POLC_STATUS_CONFINE);
    CHECK(HAS(polc_last_error_message(), "does not allow executing"));
    CHECK(strcmp(polc_status_str(POLC_STATUS_CONFINE), "cannot confine") == 0);
    CHECK(pid == 77);

    polc_policy_free(p);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c api: all checks passed\n");
    return 0;
}
