// QuantBench kernels' one CPU-feature probe and the ISA cap (like oneDNN's ONEDNN_MAX_CPU_ISA).
//
// Every kernel dispatches on qb_isa(): the highest level the CPU has, capped by the process cap (the
// QB_MAX_ISA environment variable, or qb_isa_set_process_cap from the CLI's --max-isa) and by the calling
// thread's cap (tests; Parallel.forEach hands it to its workers). Every level computes the same bits.
#ifndef QB_CPU_H
#define QB_CPU_H

#ifdef __cplusplus
extern "C" {
#endif

/// The dispatch levels, each including the ones below it.
enum {
    QB_ISA_PORTABLE = 0, ///< plain C loops (any CPU)
    QB_ISA_AVX2 = 1,     ///< AVX2 + FMA
    QB_ISA_AVX512 = 2,   ///< + AVX-512 F, BW, VL, DQ
    QB_ISA_VNNI = 3,     ///< + AVX-512 VNNI
};

/// The highest level this CPU supports.
int qb_isa_detected(void);
/// The process cap: QB_MAX_ISA when set (portable, avx2, avx512, vnni or native), else QB_ISA_VNNI.
int qb_isa_process_cap(void);
/// Sets the process cap (clamped to the levels); returns the previous one.
int qb_isa_set_process_cap(int level);
/// 1 when QB_MAX_ISA holds a value that is not a level name (the cap then stays at QB_ISA_VNNI), else 0.
int qb_isa_env_invalid(void);
/// The calling thread's cap, -1 when it has none.
int qb_isa_thread_cap(void);
/// Sets the calling thread's cap (-1 removes it); returns the previous one.
int qb_isa_set_thread_cap(int level);
/// The level kernels use on this thread: min(detected, process cap, thread cap).
int qb_isa(void);
/// "portable", "avx2", "avx512" or "vnni"; "?" for other values.
const char *qb_isa_name(int level);
/// The level named (case-insensitive; "native" = the detected level), or -1.
int qb_isa_parse(const char *name);

/// 1 if the AVX2/FMA kernels are in use on this thread (qb_isa() >= QB_ISA_AVX2).
int qb_kernels_have_avx2(void);
/// 1 if the AVX-512 VNNI kernels are in use on this thread (qb_isa() >= QB_ISA_VNNI).
int qb_kernels_have_vnni(void);

/// glibc: serve blocks up to 256 MiB from the heap and keep up to 1 GiB of free heap top, so that freed tensors
/// are reused instead of unmapped and page-faulted in again. Returns 1 when set, 0 where there is no such
/// setting (not glibc), -1 when glibc refused it.
int qb_keep_freed_memory(void);

#ifdef __cplusplus
}
#endif

#endif /* QB_CPU_H */
