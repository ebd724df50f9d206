/*
 * hashseed: the seed of a hash table whose keys come from the network
 * (flow table, certificate cache, session cache). Random per table, so a
 * sender cannot aim crafted keys at one bucket.
 *
 * Built with -DSECAUDIT_FUZZ (the fuzzers) every seed is one fixed value
 * instead: a saved input then takes the same path through every table on
 * every replay, so what a fuzzer found is reproduced by the file alone.
 */
#ifndef SECAUDIT_HASHSEED_H
#define SECAUDIT_HASHSEED_H

#include <stdint.h>

/* From getrandom(); if that fails (no entropy yet at early boot), from the
 * monotonic clock mixed with salt (any address unique to the table). */
uint64_t hashseed_new(const void *salt);

#endif
