/* bioflux cell-model plugin ABI, version 1.
 *
 * A plugin is a shared library exporting one function,
 *     const BiofluxPluginTable *bioflux_plugin_v1(void);
 * returning a pointer to a static table. This header mirrors the Rust
 * definitions in plugins/abi/src/lib.rs; a test (plugins/abi/tests/header.rs)
 * compiles it and checks every size and offset against them.
 */
#ifndef BIOFLUX_PLUGIN_H
#define BIOFLUX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BIOFLUX_ABI_VERSION 1u
#define BIOFLUX_ENTRY_SYMBOL "bioflux_plugin_v1"

/* What eval and jacobian return. */
#define BIOFLUX_OK 0
#define BIOFLUX_RELAXED 1 /* usable, but constraints were relaxed (slack) */
#define BIOFLUX_ERROR 2   /* no result; last_error says why */
#define BIOFLUX_STOP 3    /* no result by the model's rule: end the run here normally */

/* An input or output: name and unit, owned by the instance. */
typedef struct BiofluxPort {
    const char *name;
    const char *unit;
} BiofluxPort;

/* The ports of an instance, valid until destroy. */
typedef struct BiofluxDescription {
    size_t n_inputs;
    const BiofluxPort *inputs;
    size_t n_outputs;
    const BiofluxPort *outputs;
} BiofluxDescription;

/* A new instance from the configuration (JSON text: "source", "options",
 * "inputs", "outputs") and the .bio file's directory; or NULL with a
 * NUL-terminated message of at most error_len bytes in error. */
typedef void *(*BiofluxCreateFn)(const char *config_json, const char *base_dir, char *error, size_t error_len);
typedef const BiofluxDescription *(*BiofluxDescribeFn)(void *instance);
/* outputs[n_outputs] = f(inputs[n_inputs]); returns BIOFLUX_OK/RELAXED/ERROR/STOP. */
typedef int32_t (*BiofluxEvalFn)(void *instance, const double *inputs, double *outputs);
/* n rows at once: inputs[n * n_inputs], outputs[n * n_outputs]. */
typedef int32_t (*BiofluxEvalBatchFn)(void *instance, size_t n, const double *inputs, double *outputs);
/* jacobian[o * n_inputs + i] = d outputs[o] / d inputs[i]. */
typedef int32_t (*BiofluxJacobianFn)(void *instance, const double *inputs, double *jacobian);
typedef const char *(*BiofluxLastErrorFn)(void *instance);
typedef void (*BiofluxDestroyFn)(void *instance);

typedef struct BiofluxPluginTable {
    uint32_t abi_version; /* BIOFLUX_ABI_VERSION */
    const char *name;
    const char *version;
    BiofluxCreateFn create;
    BiofluxDescribeFn describe;
    BiofluxEvalFn eval;
    BiofluxEvalBatchFn eval_batch; /* may be NULL */
    BiofluxJacobianFn jacobian;    /* may be NULL: the host uses finite differences */
    BiofluxLastErrorFn last_error;
    BiofluxDestroyFn destroy;
} BiofluxPluginTable;

typedef const BiofluxPluginTable *(*BiofluxEntryFn)(void);

/* Optional tools beside the cell model (docs/plugins.md, "Tools"): a plugin
 * may export
 *     char *bioflux_tool_v1(const char *name, const char *request_json);
 *     void bioflux_tool_free_v1(char *answer);
 * The answer is NUL-terminated JSON: {"ok": REPLY}, {"error": "message"},
 * or {"unknown": "name"} for a tool the plugin does not have; the host
 * frees it with bioflux_tool_free_v1. Requests and replies of each tool
 * (notes, stoichiometry, train, infer) are the serde types of
 * bioflux_plugin::tools, version 1. */
#define BIOFLUX_TOOL_SYMBOL "bioflux_tool_v1"
#define BIOFLUX_TOOL_FREE_SYMBOL "bioflux_tool_free_v1"
typedef char *(*BiofluxToolFn)(const char *name, const char *request_json);
typedef void (*BiofluxToolFreeFn)(char *answer);

#ifdef __cplusplus
}
#endif

#endif /* BIOFLUX_PLUGIN_H */
