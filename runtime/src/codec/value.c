/* ably_data, the string/number maps and enum-table lookups. */
#include <stdlib.h>
#include <string.h>

#include "ably/descriptor.h"
#include "ably/value.h"

int ably_data_set(ably_data *d, ably_data_type type, const void *bytes, size_t len)
{
    ably_data_clear(d);
    if (type == ABLY_DATA_NONE)
        return 0;
    char *p = malloc(len + 1);
    if (!p)
        return -1;
    if (len)
        memcpy(p, bytes, len);
    p[len] = '\0';
    d->type = type;
    d->bytes = p;
    d->len = len;
    return 0;
}

void ably_data_clear(ably_data *d)
{
    free(d->bytes);
    d->bytes = NULL;
    d->len = 0;
    d->type = ABLY_DATA_NONE;
}

/* Both maps grow the same way; `size` is the pair size. Returns the (possibly
 * moved) array with room for one more pair, or NULL (the old array is untouched). */
static void *grow(void *items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return items;
    size_t n = *cap ? *cap * 2 : 4;
    void *p = realloc(items, n * size);
    if (p)
        *cap = n;
    return p;
}

const char *ably_string_map_get(const ably_string_map *m, const char *key)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->items[i].key, key) == 0)
            return m->items[i].value;
    return NULL;
}

int ably_string_map_set(ably_string_map *m, const char *key, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return -1;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            free(m->items[i].value);
            m->items[i].value = v;
            return 0;
        }
    }
    char *k = strdup(key);
    ably_string_pair *items = k ? grow(m->items, &m->cap, m->count, sizeof *items) : NULL;
    if (!items) {
        free(k);
        free(v);
        return -1;
    }
    m->items = items;
    m->items[m->count].key = k;
    m->items[m->count].value = v;
    m->count++;
    return 0;
}

void ably_string_map_clear(ably_string_map *m)
{
    for (size_t i = 0; i < m->count; i++) {
        free(m->items[i].key);
        free(m->items[i].value);
    }
    free(m->items);
    m->items = NULL;
    m->count = m->cap = 0;
}

bool ably_number_map_get(const ably_number_map *m, const char *key, double *out)
{
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            *out = m->items[i].value;
            return true;
        }
    }
    return false;
}

int ably_number_map_set(ably_number_map *m, const char *key, double value)
{
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            m->items[i].value = value;
            return 0;
        }
    }
    char *k = strdup(key);
    ably_number_pair *items = k ? grow(m->items, &m->cap, m->count, sizeof *items) : NULL;
    if (!items) {
        free(k);
        return -1;
    }
    m->items = items;
    m->items[m->count].key = k;
    m->items[m->count].value = value;
    m->count++;
    return 0;
}

void ably_number_map_clear(ably_number_map *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->items[i].key);
    free(m->items);
    m->items = NULL;
    m->count = m->cap = 0;
}

const ably_enum_value *ably_enum_find_value(const ably_enum_desc *e, int value)
{
    for (size_t i = 0; i < e->count; i++)
        if (e->values[i].value == value)
            return &e->values[i];
    return NULL;
}

const ably_enum_value *ably_enum_find_name(const ably_enum_desc *e, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < e->count; i++)
        if (strcmp(e->values[i].name, name) == 0)
            return &e->values[i];
    return NULL;
}

const ably_enum_value *ably_enum_find_wire(const ably_enum_desc *e, const char *wire, size_t len)
{
    for (size_t i = 0; i < e->count; i++) {
        const char *w = e->values[i].wire;
        if (w && strlen(w) == len && memcmp(w, wire, len) == 0)
            return &e->values[i];
    }
    return NULL;
}
