/* The `ably` command-line tool: shared declarations.
 *
 * One invocation = one command. main.c parses the arguments into a cli_args,
 * resolves where to connect (cli_sandbox.c starts or reuses the local sandbox when
 * neither a key nor an endpoint is given), builds the client and runs the command
 * (cli_rest.c, cli_realtime.c). Output goes through cli_output.c: plain text on a
 * terminal, one JSON object per line with --json.
 *
 * Errors: every failure ends in cli_fail(), which prints ONE line to stderr
 * ("ably: error CODE: message") and returns the exit status:
 *   0 success, 1 the operation failed (Ably said no, network), 2 misuse (bad
 *   options or arguments, no key, bad key format, bad channel name), 3 the local
 *   sandbox could not be started.
 *
 * Ownership: a cli_args borrows argv; everything else is freed by its owner
 * before main returns (the tool runs clean under LeakSanitizer).
 */
#ifndef ABLY_CLI_H
#define ABLY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ably/ably.h"

enum { CLI_OK = 0, CLI_EFAIL = 1, CLI_EUSAGE = 2, CLI_ESANDBOX = 3 };

#define CLI_MAX_POSITIONAL 16

typedef struct {
    /* connection */
    const char *key;      /* --key, else $ABLY_KEY */
    const char *endpoint; /* --endpoint */
    int port;             /* --port; 0: default */
    int tls;              /* -1: default, 0: --no-tls, 1: --tls */
    const char *client_id;/* --client-id */
    bool json;            /* --json */
    /* command options */
    int limit;            /* --limit; 0: server default */
    const char *direction;/* --direction */
    int pages;            /* --pages; default 1 */
    const char *prefix;   /* --prefix */
    const char *unit;     /* --unit (stats) */
    int64_t ttl;          /* --ttl (token), ms; 0: default */
    const char *capability; /* --capability (token) */
    const char *encoding; /* --type string|json|binary(hex not supported): how DATA is sent */
    double duration_s;    /* --duration (subscribe / presence): stop after this; 0: until SIGINT */
    int count;            /* --count (subscribe): stop after N messages; 0: unlimited */
    /* positionals: the command words and their arguments */
    const char *pos[CLI_MAX_POSITIONAL];
    int npos;
} cli_args;

/* Where the client connects, resolved from the args or the local sandbox. The
 * strings are owned by the struct (cli_target_clear). */
typedef struct {
    char *key;
    char *endpoint;
    int port;
    bool tls;
    bool local_sandbox; /* auto-started / reused ably-sandbox */
} cli_target;

void cli_target_clear(cli_target *t);

/* ---- errors (cli_output.c) ---- */
/* Prints "ably: error CODE: message" (or a JSON error line with --json) to
 * stderr and returns `status`. */
int cli_fail(const cli_args *a, int status, int code, const char *fmt, ...) ABLY_PRINTF(4, 5);
/* The same for an ably_error from the library; clears it. Misuse codes (40000,
 * 40003, 40010, 40101 with no request made, 40106) map to CLI_EUSAGE. */
int cli_fail_err(const cli_args *a, ably_error *err, bool before_io);

/* ---- output (cli_output.c) ---- */
/* Prints a value as one JSON line (--json) or as plain text. */
void cli_print_message(const cli_args *a, const char *channel, const ably_message *m);
void cli_print_presence(const cli_args *a, const char *channel, const ably_presence_message *m);
/* Writes `d` as text: strings as they are, JSON as its text, binary as base64. */
void cli_print_data(const ably_data *d);
/* Prints a JSON text on its own line. */
void cli_print_json_line(const char *json);
/* Formats ms since the epoch as an ISO 8601 UTC time into out (>= 32 bytes). */
void cli_format_time(int64_t ms, char *out, size_t size);
/* JSON-escapes `s` (with quotes) into a new malloc'd string. */
char *cli_json_string(const char *s);

/* ---- the local sandbox (cli_sandbox.c) ---- */
/* Starts or reuses the local ably-sandbox and provisions a test app; fills
 * *t. Prints one line to stderr saying which. Returns CLI_OK or an exit status
 * (after printing the error). */
int cli_sandbox_ensure(const cli_args *a, cli_target *t);
/* `ably sandbox stop|status|start`. */
int cli_sandbox_command(const cli_args *a);

/* ---- commands ---- */
/* Runs the REST command in a->pos[0..] (publish, history, presence get, stats,
 * token, time, channels, batch-publish) with options built from t. Returns
 * CLI_OK, another exit status, or -1 when the command is not a REST one. */
int cli_rest_dispatch(const cli_args *a, const ably_client_options *opts);
/* subscribe / presence enter / presence subscribe; -1 when not one of them. */
int cli_realtime_dispatch(const cli_args *a, const ably_client_options *opts);

/* Parses a non-negative integer option value; -1 on error. */
long cli_parse_count(const char *s);

#endif /* ABLY_CLI_H */
