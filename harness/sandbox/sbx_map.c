#include "sbx_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void sbx_map_init(sbx_map *m, void (*free_value)(void *))
{
    memset(m, 0, sizeof *m);
    m->free_value = free_value;
}

void sbx_map_destroy(sbx_map *m)
{
    for (size_t b = 0; b < m->bucket_count; b++) {
        sbx_map_node *n = m->buckets[b];
        while (n) {
            sbx_map_node *next = n->next;
            if (m->free_value)
                m->free_value(n->value);
            free(n->key);
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->bucket_count = m->count = 0;
}

static sbx_map_node **slot(const sbx_map *m, const char *key)
{
    sbx_map_node **p = &m->buckets[hash(key) % m->bucket_count];
    while (*p && strcmp((*p)->key, key) != 0)
        p = &(*p)->next;
    return p;
}

void *sbx_map_get(const sbx_map *m, const char *key)
{
    if (!m->bucket_count)
        return NULL;
    sbx_map_node *n = *slot(m, key);
    return n ? n->value : NULL;
}

static int grow(sbx_map *m)
{
    size_t count = m->bucket_count ? m->bucket_count * 2 : 16;
    sbx_map_node **buckets = calloc(count, sizeof *buckets);
    if (!buckets)
        return -1;
    for (size_t b = 0; b < m->bucket_count; b++) {
        sbx_map_node *n = m->buckets[b];
        while (n) {
            sbx_map_node *next = n->next;
            size_t i = hash(n->key) % count;
            n->next = buckets[i];
            buckets[i] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = buckets;
    m->bucket_count = count;
    return 0;
}

int sbx_map_put(sbx_map *m, const char *key, void *value)
{
    if (m->count >= m->bucket_count && grow(m) != 0)
        return -1;
    sbx_map_node **p = slot(m, key);
    if (*p) {
        if (m->free_value && (*p)->value != value)
            m->free_value((*p)->value);
        (*p)->value = value;
        return 0;
    }
    sbx_map_node *n = calloc(1, sizeof *n);
    if (!n || !(n->key = strdup(key))) {
        free(n);
        return -1;
    }
    n->value = value;
    *p = n;
    m->count++;
    return 0;
}

bool sbx_map_remove(sbx_map *m, const char *key)
{
    if (!m->bucket_count)
        return false;
    sbx_map_node **p = slot(m, key);
    sbx_map_node *n = *p;
    if (!n)
        return false;
    *p = n->next;
    if (m->free_value)
        m->free_value(n->value);
    free(n->key);
    free(n);
    m->count--;
    return true;
}

sbx_map_node *sbx_map_first(const sbx_map *m, size_t *bucket)
{
    for (*bucket = 0; *bucket < m->bucket_count; (*bucket)++)
        if (m->buckets[*bucket])
            return m->buckets[*bucket];
    return NULL;
}

sbx_map_node *sbx_map_next(const sbx_map *m, sbx_map_node *node, size_t *bucket)
{
    if (node->next)
        return node->next;
    for ((*bucket)++; *bucket < m->bucket_count; (*bucket)++)
        if (m->buckets[*bucket])
            return m->buckets[*bucket];
    return NULL;
}
