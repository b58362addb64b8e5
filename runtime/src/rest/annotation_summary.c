/* Typed views of annotation summaries (TM7), converted only on request (TM7a).
 * The summary stays opaque JSON on the message (TM8a1); these parse one type's
 * value with cJSON, which the library already links for its JSON codec. */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ably/rest.h"

static int shape_error(ably_error *err, const char *what)
{
    ably_error_set(err, 40000, 400, "annotation summary: %s", what);
    return -1;
}

static cJSON *parse_object(const char *json, ably_error *err)
{
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        shape_error(err, "not a JSON object");
        return NULL;
    }
    return root;
}

static int64_t int_member(const cJSON *obj, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
}

static bool bool_member(const cJSON *obj, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name)); /* TM7c1c, TM7d1c */
}

void ably_summary_client_id_list_clear(ably_summary_client_id_list *v)
{
    for (size_t i = 0; v && i < v->client_ids_count; i++)
        free(v->client_ids[i]);
    if (v) {
        free(v->client_ids);
        memset(v, 0, sizeof *v);
    }
}

/* TM7c1 from one entry object. */
static int client_id_list_from(const cJSON *obj, ably_summary_client_id_list *out, ably_error *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(obj))
        return shape_error(err, "entry is not an object");
    out->total = int_member(obj, "total");
    out->clipped = bool_member(obj, "clipped");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(obj, "clientIds");
    int n = cJSON_IsArray(ids) ? cJSON_GetArraySize(ids) : 0;
    if (n > 0 && !(out->client_ids = calloc((size_t)n, sizeof *out->client_ids)))
        return shape_error(err, "out of memory");
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        if (!cJSON_IsString(id))
            continue;
        if (!(out->client_ids[out->client_ids_count] = strdup(id->valuestring))) {
            ably_summary_client_id_list_clear(out);
            return shape_error(err, "out of memory");
        }
        out->client_ids_count++;
    }
    return 0;
}

static void client_id_counts_clear(ably_summary_client_id_counts *v)
{
    ably_number_map_clear(&v->client_ids);
    memset(v, 0, sizeof *v);
}

/* TM7d1 from one entry object. */
static int client_id_counts_from(const cJSON *obj, ably_summary_client_id_counts *out, ably_error *err)
{
    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(obj))
        return shape_error(err, "entry is not an object");
    out->total = int_member(obj, "total");
    out->clipped = bool_member(obj, "clipped");
    out->total_unidentified = int_member(obj, "totalUnidentified");
    out->total_client_ids = int_member(obj, "totalClientIds");
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(obj, "clientIds")) {
        if (cJSON_IsNumber(c) && ably_number_map_set(&out->client_ids, c->string, c->valuedouble) != 0) {
            client_id_counts_clear(out);
            return shape_error(err, "out of memory");
        }
    }
    return 0;
}

void ably_summary_client_id_lists_clear(ably_summary_client_id_lists *v)
{
    for (size_t i = 0; v && i < v->count; i++) {
        free(v->names[i]);
        ably_summary_client_id_list_clear(&v->values[i]);
    }
    if (v) {
        free(v->names);
        free(v->values);
        memset(v, 0, sizeof *v);
    }
}

void ably_summary_client_id_counts_map_clear(ably_summary_client_id_counts_map *v)
{
    for (size_t i = 0; v && i < v->count; i++) {
        free(v->names[i]);
        client_id_counts_clear(&v->values[i]);
    }
    if (v) {
        free(v->names);
        free(v->values);
        memset(v, 0, sizeof *v);
    }
}

/* A summary dictionary {name: value}: its names and, through `parse`, each value
 * into the `value_size`-byte slot i of *values. On failure what was filled stays
 * for the caller's clear function. */
typedef int (*summary_value_parse)(const cJSON *e, void *slot, ably_error *err);

static int parse_named(const char *json, char ***names, void **values, size_t value_size, size_t *count,
                       summary_value_parse parse, ably_error *err)
{
    cJSON *root = parse_object(json, err);
    if (!root)
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(root);
    int rc = 0;
    if (n && (!(*names = calloc(n, sizeof **names)) || !(*values = calloc(n, value_size))))
        rc = shape_error(err, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (rc != 0)
            break;
        if (!((*names)[*count] = strdup(e->string)))
            rc = shape_error(err, "out of memory");
        else if ((rc = parse(e, (char *)*values + *count * value_size, err)) != 0)
            free((*names)[*count]);
        else
            (*count)++;
    }
    cJSON_Delete(root);
    return rc;
}

static int parse_client_id_list(const cJSON *e, void *slot, ably_error *err)
{
    return client_id_list_from(e, slot, err);
}

static int parse_client_id_counts(const cJSON *e, void *slot, ably_error *err)
{
    return client_id_counts_from(e, slot, err);
}

/* Dict<name, SummaryClientIdList> (TM7b1, TM7b2). */
static int client_id_lists(const char *json, ably_summary_client_id_lists *out, ably_error *err)
{
    memset(out, 0, sizeof *out);
    void *values = NULL;
    int rc = parse_named(json, &out->names, &values, sizeof *out->values, &out->count, parse_client_id_list, err);
    out->values = values;
    if (rc != 0)
        ably_summary_client_id_lists_clear(out);
    return rc;
}

int ably_summary_distinct_v1(const char *json, ably_summary_client_id_lists *out, ably_error *err)
{
    return client_id_lists(json, out, err);
}

int ably_summary_unique_v1(const char *json, ably_summary_client_id_lists *out, ably_error *err)
{
    return client_id_lists(json, out, err);
}

/* Dict<name, SummaryClientIdCounts> (TM7b3). */
int ably_summary_multiple_v1(const char *json, ably_summary_client_id_counts_map *out, ably_error *err)
{
    memset(out, 0, sizeof *out);
    void *values = NULL;
    int rc = parse_named(json, &out->names, &values, sizeof *out->values, &out->count, parse_client_id_counts, err);
    out->values = values;
    if (rc != 0)
        ably_summary_client_id_counts_map_clear(out);
    return rc;
}

int ably_summary_flag_v1(const char *json, ably_summary_client_id_list *out, ably_error *err)
{
    memset(out, 0, sizeof *out);
    cJSON *root = parse_object(json, err);
    if (!root)
        return -1;
    int rc = client_id_list_from(root, out, err);
    cJSON_Delete(root);
    return rc;
}

int ably_summary_total_v1(const char *json, ably_summary_total *out, ably_error *err)
{
    out->total = 0;
    cJSON *root = parse_object(json, err);
    if (!root)
        return -1;
    out->total = int_member(root, "total");
    cJSON_Delete(root);
    return 0;
}

int ably_annotation_summary_of_type(const char *summary_json, const char *type, char **out, ably_error *err)
{
    *out = NULL;
    cJSON *root = parse_object(summary_json, err);
    if (!root)
        return -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, type);
    int rc = 0;
    if (v) {
        *out = cJSON_PrintUnformatted(v);
        rc = *out ? 1 : shape_error(err, "out of memory");
    }
    cJSON_Delete(root);
    return rc;
}
