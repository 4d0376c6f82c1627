#include "cprog/records.h"

#include "lib/string.h"

static void format_name(char name[16], uint32_t id) {
    static const char hex[] = "0123456789abcdef";
    memset(name, 0, 16);
    memcpy(name, "rec-", 4);
    for (int i = 0; i < 8; i++)
        name[4 + i] = hex[(id >> (28 - 4 * i)) & 0xF];
}

void records_fill(struct record* r, uint32_t n, struct lcg* g) {
    for (uint32_t i = 0; i < n; i++) {
        /* Two statements: the order of evaluation inside an initializer is unspecified. */
        uint64_t key = lcg_next(g) % 64;
        uint32_t flags = lcg_next(g);
        struct record rec = {.key = key, .id = i, .flags = flags};
        format_name(rec.name, i);
        r[i] = rec;
    }
}

void records_sort(struct record* r, uint32_t n) {
    for (uint32_t i = 1; i < n; i++) {
        struct record v = r[i];
        uint32_t j = i;
        for (; j > 0 && r[j - 1].key > v.key; j--)
            r[j] = r[j - 1];
        r[j] = v;
    }
}

int records_sorted_stably(const struct record* r, uint32_t n) {
    for (uint32_t i = 1; i < n; i++) {
        if (r[i - 1].key > r[i].key) return 0;
        if (r[i - 1].key == r[i].key && r[i - 1].id > r[i].id) return 0;
    }
    return 1;
}
