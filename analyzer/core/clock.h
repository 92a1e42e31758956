/*
 * clock.h - the one monotonic clock: durations, deadlines and timings all
 * read it, so they can be compared with each other.
 */
#ifndef IMPACT_CLOCK_H
#define IMPACT_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin; only differences mean anything). */
double impact_now_ms(void);

#endif
