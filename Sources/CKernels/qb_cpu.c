// The one CPU-feature probe and the ISA cap. See include/qb_cpu.h.
#include <stdlib.h>
#include <strings.h>
#include "qb_cpu.h"

static int detected_level = -1;
static int process_cap = -1;
static int env_invalid = 0;
static _Thread_local int thread_cap = -1;

static int clamp_level(int level) {
    return level < QB_ISA_PORTABLE ? QB_ISA_PORTABLE : (level > QB_ISA_VNNI ? QB_ISA_VNNI : level);
}

int qb_isa_detected(void) {
    int level = __atomic_load_n(&detected_level, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    level = QB_ISA_PORTABLE;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        level = QB_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
            level = QB_ISA_AVX512;
            if (__builtin_cpu_supports("avx512vnni")) level = QB_ISA_VNNI;
        }
    }
#endif
    __atomic_store_n(&detected_level, level, __ATOMIC_RELAXED);
    return level;
}

const char *qb_isa_name(int level) {
    switch (level) {
    case QB_ISA_PORTABLE:
        return "portable";
    case QB_ISA_AVX2:
        return "avx2";
    case QB_ISA_AVX512:
        return "avx512";
    case QB_ISA_VNNI:
        return "vnni";
    default:
        return "?";
    }
}

int qb_isa_parse(const char *name) {
    if (!name) return -1;
    for (int level = QB_ISA_PORTABLE; level <= QB_ISA_VNNI; level++)
        if (strcasecmp(name, qb_isa_name(level)) == 0) return level;
    if (strcasecmp(name, "native") == 0) return qb_isa_detected();
    return -1;
}

int qb_isa_process_cap(void) {
    int cap = __atomic_load_n(&process_cap, __ATOMIC_RELAXED);
    if (cap >= 0) return cap;
    const char *env = getenv("QB_MAX_ISA");
    cap = QB_ISA_VNNI;
    if (env && *env) {
        int parsed = qb_isa_parse(env);
        if (parsed < 0)
            env_invalid = 1;
        else
            cap = parsed;
    }
    // A cap set meanwhile by qb_isa_set_process_cap wins over the environment.
    int expected = -1;
    if (!__atomic_compare_exchange_n(&process_cap, &expected, cap, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return expected;
    return cap;
}

int qb_isa_env_invalid(void) {
    (void)qb_isa_process_cap();
    return env_invalid;
}

int qb_isa_set_process_cap(int level) {
    int previous = qb_isa_process_cap();
    __atomic_store_n(&process_cap, clamp_level(level), __ATOMIC_RELAXED);
    return previous;
}

int qb_isa_thread_cap(void) {
    return thread_cap;
}

int qb_isa_set_thread_cap(int level) {
    int previous = thread_cap;
    thread_cap = level < 0 ? -1 : clamp_level(level);
    return previous;
}

int qb_isa(void) {
    int level = qb_isa_detected(), cap = qb_isa_process_cap();
    if (cap < level) level = cap;
    if (thread_cap >= 0 && thread_cap < level) level = thread_cap;
    return level;
}

int qb_kernels_have_avx2(void) {
    return qb_isa() >= QB_ISA_AVX2;
}

int qb_kernels_have_vnni(void) {
    return qb_isa() >= QB_ISA_VNNI;
}
