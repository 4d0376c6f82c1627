/* A fixed-size hash table from non-zero 32-bit keys to 32-bit values: open addressing with
 * linear probing, and deletion by backward shift (no tombstones), so lookups stay short. */
#ifndef ROMS_CPROG_HASH_TABLE_H
#define ROMS_CPROG_HASH_TABLE_H

#include <stdint.h>

#define HASH_CAPACITY 4096 /* a power of two */

struct hash_slot {
    uint32_t key; /* 0 = empty */
    uint32_t value;
};

struct hash_table {
    struct hash_slot slots[HASH_CAPACITY];
    uint32_t count;
    uint32_t probes; /* slots visited by all operations: a measure of clustering */
};

void hash_init(struct hash_table* t);
/* Inserts or overwrites; returns 0 if the table is full (or key is 0), 1 otherwise. */
int hash_put(struct hash_table* t, uint32_t key, uint32_t value);
/* Returns 1 and sets *value if present. */
int hash_get(struct hash_table* t, uint32_t key, uint32_t* value);
/* Returns 1 if the key was present and is now gone. */
int hash_delete(struct hash_table* t, uint32_t key);

#endif
