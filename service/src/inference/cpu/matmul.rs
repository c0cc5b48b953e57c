//! Linear layers, `dst[m, n] += x[m, k] · Wᵀ` with `W` as PyTorch stores it (`[n, k]`).
//!
//! Large products go to the `gemm` crate. It repacks its right-hand side on every
//! call, which is noise for a batch but dominated single-sentence latency (38% of
//! samples), so on CPUs with AVX2, FMA and F16C the weights are also packed once,
//! at load, into 16-column panels that a 6×16 register-tiled microkernel streams
//! for few-row products. Reading `Wᵀ` in place instead measured 8.1 ms
//! single-sentence p50 against 6.8 ms packed (each step down `k` lands on a new
//! page). A few-row product streams every weight from memory once (the model is
//! 88 MB in f32, L3 here is 32 MB), so the panels hold f16: half the traffic and
//! half the second copy's memory. Accumulation stays f32; embeddings of single
//! sentences keep cosine >= 0.9999996 with sentence-transformers' on the fixtures.

use rayon::prelude::*;

/// Output columns per microkernel call: two AVX registers.
const NR: usize = 16;
/// Rows per microkernel call: 6 × 2 accumulators use 12 of the 16 AVX registers.
const MR: usize = 6;
/// Most rows for which the microkernel beats the `gemm` crate.
const SMALL_M: usize = 192;

/// A weight matrix ready for repeated products.
pub(crate) struct Linear {
    n: usize,
    k: usize,
    /// `W` as loaded, `[n, k]` row-major, for the `gemm` crate.
    w: Vec<f32>,
    /// `n / NR` panels of `k` rows of `NR` output columns, as f16 bits, when the
    /// microkernel runs here.
    panels: Option<Vec<u16>>,
}

impl Linear {
    /// Takes a `[n, k]` row-major weight matrix.
    pub(crate) fn new(w: Vec<f32>, n: usize, k: usize) -> Self {
        assert_eq!(w.len(), n * k, "weight shape");
        let panels = (n.is_multiple_of(NR) && has_avx2_fma()).then(|| pack(&w, n, k));
        Self { n, k, w, panels }
    }

    /// `dst[m, n] += x[m, k] · Wᵀ`.
    pub(crate) fn apply_acc(&self, dst: &mut [f32], x: &[f32], m: usize) {
        let (n, k) = (self.n, self.k);
        assert!(dst.len() >= m * n && x.len() >= m * k, "linear shapes");
        match &self.panels {
            Some(panels) if m <= SMALL_M => small_acc(dst, x, panels, m, n, k),
            _ => gemm_acc(dst, x, &self.w, m, n, k),
        }
    }
}

fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn pack(w: &[f32], n: usize, k: usize) -> Vec<u16> {
    let mut out = vec![0u16; n * k];
    for (p, panel) in out.chunks_exact_mut(NR * k).enumerate() {
        for (kk, row) in panel.chunks_exact_mut(NR).enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = half::f16::from_f32(w[(p * NR + c) * k + kk]).to_bits();
            }
        }
    }
    out
}

/// A pointer that may cross threads; every use writes a region no other task touches.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);

impl SharedMut {
    /// The pointer; a method, so closures capture the whole `Send` wrapper.
    fn get(self) -> *mut f32 {
        self.0
    }
}
// SAFETY: tasks write disjoint column ranges of `dst` (see `small_acc`).
unsafe impl Send for SharedMut {}
// SAFETY: as above.
unsafe impl Sync for SharedMut {}

/// Few-row products: threads split the panels (output columns), each walking its
/// panels (which stay in cache) across all rows six at a time.
fn small_acc(dst: &mut [f32], x: &[f32], panels: &[u16], m: usize, n: usize, k: usize) {
    let n_panels = n / NR;
    let threads = rayon::current_num_threads();
    let groups = if threads > 1 && m * n * k >= 1 << 16 { (threads * 2).min(n_panels) } else { 1 };
    let per_group = n_panels.div_ceil(groups);
    let out = SharedMut(dst.as_mut_ptr());
    let work = |g: usize| {
        for p in g * per_group..((g + 1) * per_group).min(n_panels) {
            let mut row = 0;
            while row < m {
                let mr = MR.min(m - row);
                // SAFETY: rows `row..row + mr` of `x` and of `dst` and columns
                // `p * NR..p * NR + NR` are in bounds (asserted in `apply_acc`, `n` is a
                // multiple of NR); only this task writes the columns of panel `p`; AVX2, FMA
                // and F16C were detected when the panels were packed.
                unsafe {
                    kernel_any(
                        mr,
                        x.as_ptr().add(row * k),
                        k,
                        panels.as_ptr().add(p * NR * k),
                        out.get().add(row * n + p * NR),
                        n,
                    )
                };
                row += mr;
            }
        }
    };
    if groups == 1 {
        work(0);
    } else {
        (0..groups).into_par_iter().for_each(work);
    }
}

/// Dispatches on the number of rows left (1 to `MR`).
///
/// # Safety
/// As for [`kernel`].
#[cfg(target_arch = "x86_64")]
unsafe fn kernel_any(
    mr: usize,
    x: *const f32,
    k: usize,
    panel: *const u16,
    dst: *mut f32,
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match mr {
            6 => kernel::<6>(x, k, panel, dst, n),
            5 => kernel::<5>(x, k, panel, dst, n),
            4 => kernel::<4>(x, k, panel, dst, n),
            3 => kernel::<3>(x, k, panel, dst, n),
            2 => kernel::<2>(x, k, panel, dst, n),
            _ => kernel::<1>(x, k, panel, dst, n),
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel_any(_: usize, _: *const f32, _: usize, _: *const u16, _: *mut f32, _: usize) {
    unreachable!("the microkernel is chosen only on x86-64 with AVX2, FMA and F16C")
}

/// `dst[R, 16] += x[R, k] · panel[k, 16]`, with `dst` rows `n` apart.
///
/// # Safety
/// The CPU has AVX2, FMA and F16C; `x` has `R` rows of `k` floats; `panel` has
/// `16 k` f16 values; `dst` has `R` rows, `n` apart, of at least 16 writable floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn kernel<const R: usize>(
    x: *const f32,
    k: usize,
    panel: *const u16,
    dst: *mut f32,
    n: usize,
) {
    use std::arch::x86_64::*;
    // SAFETY: every pointer offset stays within the extents the caller guarantees.
    unsafe {
        let mut lo = [_mm256_setzero_ps(); R];
        let mut hi = [_mm256_setzero_ps(); R];
        for kk in 0..k {
            let b0 = _mm256_cvtph_ps(_mm_loadu_si128(panel.add(kk * NR).cast()));
            let b1 = _mm256_cvtph_ps(_mm_loadu_si128(panel.add(kk * NR + 8).cast()));
            for r in 0..R {
                let a = _mm256_broadcast_ss(&*x.add(r * k + kk));
                lo[r] = _mm256_fmadd_ps(a, b0, lo[r]);
                hi[r] = _mm256_fmadd_ps(a, b1, hi[r]);
            }
        }
        for r in 0..R {
            let d = dst.add(r * n);
            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), lo[r]));
            _mm256_storeu_ps(d.add(8), _mm256_add_ps(_mm256_loadu_ps(d.add(8)), hi[r]));
        }
    }
}

/// `dst[m, n] += x[m, k] · wᵀ` on the `gemm` crate, `w` being `[n, k]`.
fn gemm_acc(dst: &mut [f32], x: &[f32], w: &[f32], m: usize, n: usize, k: usize) {
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 && m * n * k >= 1 << 16 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `apply_acc` asserted the extents the strides reach; `dst` does not
    // overlap `x` or `w` (it is borrowed mutably).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            true,
            x.as_ptr(),
            1,
            k as isize,
            w.as_ptr(),
            k as isize,
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(dst: &mut [f32], x: &[f32], w: &[f32], m: usize, n: usize, k: usize) {
        for i in 0..m {
            for j in 0..n {
                dst[i * n + j] +=
                    (0..k).map(|l| x[i * k + l] as f64 * w[j * k + l] as f64).sum::<f64>() as f32;
            }
        }
    }

    #[test]
    fn microkernel_and_gemm_paths_match_a_naive_product() {
        for (m, n, k) in
            [(1, 16, 3), (7, 32, 19), (13, 48, 64), (150, 64, 384), (200, 32, 40), (5, 40, 8)]
        {
            let x: Vec<f32> = (0..m * k).map(|i| ((i * 31) % 17) as f32 / 17.0 - 0.5).collect();
            let w: Vec<f32> = (0..n * k).map(|i| ((i * 13) % 23) as f32 / 23.0 - 0.5).collect();
            let start: Vec<f32> = (0..m * n).map(|i| (i % 5) as f32).collect();
            let linear = Linear::new(w.clone(), n, k);
            // The microkernel reads f16 weights: compare it with the product of the rounded weights.
            let w16: Vec<f32> = if linear.panels.is_some() && m <= SMALL_M {
                w.iter().map(|v| half::f16::from_f32(*v).to_f32()).collect()
            } else {
                w.clone()
            };
            let mut want = start.clone();
            naive(&mut want, &x, &w16, m, n, k);
            let mut got = start.clone();
            linear.apply_acc(&mut got, &x, m);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "apply_acc {g} vs {w} for {m}x{n}x{k}");
            }
            let mut exact = start.clone();
            naive(&mut exact, &x, &w, m, n, k);
            let mut via_gemm = start.clone();
            gemm_acc(&mut via_gemm, &x, &w, m, n, k);
            for (v, w) in via_gemm.iter().zip(&exact) {
                assert!((v - w).abs() < 1e-4, "gemm {v} vs {w} for {m}x{n}x{k}");
            }
        }
    }
}
