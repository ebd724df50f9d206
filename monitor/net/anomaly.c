#include "net/anomaly.h"

static const char *const types[ANOM_COUNT] = {
#define ANOMALY_TYPE(e, t, n) t,
	ANOMALY_LIST(ANOMALY_TYPE)
#undef ANOMALY_TYPE
};

static const char *const events[ANOM_COUNT] = {
#define ANOMALY_EVENT(e, t, n) n,
	ANOMALY_LIST(ANOMALY_EVENT)
#undef ANOMALY_EVENT
};

const char *anomaly_type(enum anomaly a)
{
	return (unsigned)a < ANOM_COUNT ? types[a] : 0;
}

const char *anomaly_event(enum anomaly a)
{
	return (unsigned)a < ANOM_COUNT ? events[a] : 0;
}
