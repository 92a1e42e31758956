/*
 * clock.c - the one monotonic clock (see clock.h).
 */
#include "clock.h"

#include <time.h>

double impact_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
