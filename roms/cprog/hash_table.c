#include "hash_table.h"

#include "lib/string.h"

#define MASK (HASH_CAPACITY - 1)

/* A multiplicative hash (Knuth): the top bits of key * 2^32/phi spread nearby keys apart. */
static uint32_t home_slot(uint32_t key) {
    return ((key * 2654435769u) >> 20) & MASK;
}

void hash_init(struct hash_table* t) {
    memset(t, 0, sizeof(*t));
}

/* The slot holding `key`, or the empty slot where it would go; -1 if the table is full. */
static int32_t find_slot(struct hash_table* t, uint32_t key) {
    uint32_t i = home_slot(key);
    for (uint32_t n = 0; n < HASH_CAPACITY; n++, i = (i + 1) & MASK) {
        t->probes++;
        if (t->slots[i].key == key || t->slots[i].key == 0) return (int32_t)i;
    }
    return -1;
}

int hash_put(struct hash_table* t, uint32_t key, uint32_t value) {
    int32_t i = key == 0 ? -1 : find_slot(t, key);
    if (i < 0) return 0;
    /* Keep one slot empty so that every probe sequence ends. */
    if (t->slots[i].key == 0 && t->count == HASH_CAPACITY - 1) return 0;
    if (t->slots[i].key == 0) t->count++;
    t->slots[i] = (struct hash_slot){key, value};
    return 1;
}

int hash_get(struct hash_table* t, uint32_t key, uint32_t* value) {
    int32_t i = key == 0 ? -1 : find_slot(t, key);
    if (i < 0 || t->slots[i].key == 0) return 0;
    *value = t->slots[i].value;
    return 1;
}

/* True if `home` lies cyclically in (hole, at]: the entry at `at` may not move to `hole`. */
static int stays(uint32_t hole, uint32_t at, uint32_t home) {
    return hole <= at ? (hole < home && home <= at) : (hole < home || home <= at);
}

/* Backward-shift deletion: later entries of the same cluster move into the hole unless that
 * would put them before their home slot. */
int hash_delete(struct hash_table* t, uint32_t key) {
    int32_t found = key == 0 ? -1 : find_slot(t, key);
    if (found < 0 || t->slots[found].key == 0) return 0;
    uint32_t hole = (uint32_t)found;
    for (uint32_t at = (hole + 1) & MASK; t->slots[at].key != 0; at = (at + 1) & MASK) {
        if (stays(hole, at, home_slot(t->slots[at].key))) continue;
        t->slots[hole] = t->slots[at];
        hole = at;
    }
    t->slots[hole] = (struct hash_slot){0, 0};
    t->count--;
    return 1;
}
