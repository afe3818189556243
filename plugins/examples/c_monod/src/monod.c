/* An example bioflux cell-model plugin in C: Monod growth.
 *
 *   mu  = mu_max * S / (Ks + S)      [1/h]
 *   q_S = -mu / Yxs                  [mmol/gDW/h]
 *
 * Input "S" [mmol/L]; options mu_max, Ks, Yxs (numbers). No Jacobian:
 * the host differentiates by finite differences. An "fail_below" option
 * makes eval fail when S drops under it (to show error reporting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bioflux_plugin.h"

typedef struct Monod {
    double mu_max, ks, yxs, fail_below;
    char error[256];
    BiofluxPort inputs[1], outputs[2];
    BiofluxDescription description;
} Monod;

/* The number after "key" : in the options object, or `fallback`. A real
 * plugin would use a JSON parser; this one tolerates whitespace around the
 * colon, as JSON allows (the host writes none). */
static double option(const char *json, const char *key, double fallback) {
    char pattern[64];
    const char *options = strstr(json, "\"options\"");
    const char *at;
    if (!options) return fallback;
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    for (at = strstr(options, pattern); at; at = strstr(at + 1, pattern)) {
        const char *p = at + strlen(pattern);
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (*p == ':') return strtod(p + 1, NULL);
    }
    return fallback;
}

static void *create(const char *config, const char *base_dir, char *error, size_t error_len) {
    Monod *m = calloc(1, sizeof *m);
    (void)base_dir;
    if (!m) {
        snprintf(error, error_len, "out of memory");
        return NULL;
    }
    m->mu_max = option(config, "mu_max", 0.6);
    m->ks = option(config, "Ks", 0.5);
    m->yxs = option(config, "Yxs", 0.09);
    m->fail_below = option(config, "fail_below", -1.0);
    if (m->ks <= 0 || m->yxs <= 0) {
        snprintf(error, error_len, "Ks and Yxs must be positive (Ks = %g, Yxs = %g)", m->ks, m->yxs);
        free(m);
        return NULL;
    }
    m->inputs[0].name = "S";
    m->inputs[0].unit = "mmol/L";
    m->outputs[0].name = "mu";
    m->outputs[0].unit = "1/h";
    m->outputs[1].name = "q_S";
    m->outputs[1].unit = "mmol/gDW/h";
    m->description.n_inputs = 1;
    m->description.inputs = m->inputs;
    m->description.n_outputs = 2;
    m->description.outputs = m->outputs;
    return m;
}

static const BiofluxDescription *describe(void *instance) {
    return &((Monod *)instance)->description;
}

static int32_t eval(void *instance, const double *inputs, double *outputs) {
    Monod *m = instance;
    double s = inputs[0];
    if (s < m->fail_below) {
        snprintf(m->error, sizeof m->error, "substrate %g mmol/L is below fail_below = %g", s, m->fail_below);
        return BIOFLUX_ERROR;
    }
    outputs[0] = m->mu_max * s / (m->ks + s);
    outputs[1] = -outputs[0] / m->yxs;
    return BIOFLUX_OK;
}

static const char *last_error(void *instance) {
    return ((Monod *)instance)->error;
}

static void destroy(void *instance) {
    free(instance);
}

static const BiofluxPluginTable table = {
    BIOFLUX_ABI_VERSION, "c_monod", "0.1.0", create, describe, eval, NULL, NULL, last_error, destroy,
};

const BiofluxPluginTable *bioflux_c_monod_table(void) {
    return &table;
}
