/* Fault rules for fallback tests: make one listening port misbehave.
 *
 * Every port the sandbox listens on (--port and each --extra-port) serves the
 * same routes, so tests can use the ports as the primary and fallback hosts.
 * A rule makes one port (or every port) answer 500 / 503 / any status with an
 * Ably error, answer like a CloudFront edge (5xx, HTML body, Server:
 * CloudFront), hang without answering, or close the connection, for its
 * next N matching requests and/or for a while. Rules are set through the
 * control endpoint /_sandbox/faults, answered only to loopback peers and
 * never faulted itself (README.md documents it).
 *
 * Every request that is not a control request is recorded in a bounded event
 * log (which port got which request and what the rules did to it), so tests
 * can assert where a client sent its requests.
 *
 * State is process-wide and fixed-size (no allocation): the sandbox is one
 * single-threaded server per process, and every call happens on the lws
 * service thread. */
#ifndef SBX_FAULTS_H
#define SBX_FAULTS_H

#include "sbx_server.h"

struct lws;

typedef enum {
    SBX_FAULT_PASS,     /* not faulted: dispatch normally */
    SBX_FAULT_ANSWERED, /* resp holds the answer (control endpoint or a faulty status) */
    SBX_FAULT_HANG,     /* send nothing; the connection times out later */
    SBX_FAULT_CLOSE,    /* close the connection without answering */
} sbx_fault_outcome;

/* Remembers a listening port, so GET /_sandbox/faults can list them (tests
 * start with --extra-port 0 and learn the numbers there). */
void sbx_faults_add_port(int port);

/* Decides what happens to one complete request that arrived on wsi: answers
 * the control endpoint, applies the first matching rule, and logs it. For
 * SBX_FAULT_HANG it has already armed the connection's timeout. */
sbx_fault_outcome sbx_faults_intercept(struct lws *wsi, const sbx_request *req, sbx_response *resp);

/* Drops every rule and the event log (ports are kept). */
void sbx_faults_reset(void);

#endif
