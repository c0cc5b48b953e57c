//! Vectorizable f32 kernels: layer norm, exact (erf) GELU, softmax and
//! per-sequence attention. Each is written once as plain loops over 8-lane chunks that LLVM
//! vectorizes; on x86-64 a copy compiled for AVX2 and FMA is chosen at run time.

/// Lanes per chunk: one AVX register of f32.
const LANES: usize = 8;

/// Declares `pub fn $name(args)` that dispatches to an AVX2+FMA build of
/// `$body::<true>` when the CPU has them and to the baseline `$body::<false>` otherwise.
macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident => $body:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty)?) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                    $body::<true>($($arg),*)
                }
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU was just checked for AVX2 and FMA.
                    return unsafe { fast($($arg),*) };
                }
            }
            $body::<false>($($arg),*)
        }
    };
}

dispatch!(
    /// Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`, in place.
    gelu => gelu_impl(x: &mut [f32])
);
dispatch!(
    /// Layer norm of every `gamma.len()`-wide row of `x`, in place.
    layer_norm => layer_norm_impl(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32)
);

dispatch!(
    /// Self-attention of one sequence: `qkv` holds `len` rows of
    /// `[q | k | v]` (each `heads * head_dim` wide); writes `len` rows of `ctx`.
    attention => attention_impl(qkv: &[f32], ctx: &mut [f32], len: usize, heads: usize, head_dim: usize)
);

/// `a * b + c`, fused where the build has FMA (calling `mul_add` without it is a libm call).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// e^x for f32 (Cephes polynomial after reduction by ln 2), branch-free so it vectorizes.
/// Relative error below 2e-7 over the clamped range.
#[inline(always)]
fn exp<const FMA: bool>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = madd::<FMA>(n, -LN2_LO, madd::<FMA>(n, -LN2_HI, x));
    let mut p = 1.987_569_1e-4;
    p = madd::<FMA>(p, r, 1.398_199_9e-3);
    p = madd::<FMA>(p, r, 8.333_452e-3);
    p = madd::<FMA>(p, r, 4.166_579_6e-2);
    p = madd::<FMA>(p, r, 1.666_666_5e-1);
    p = madd::<FMA>(p, r, 0.5);
    let y = madd::<FMA>(p, r * r, r) + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    y * scale
}

/// erf for f32 (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7).
#[inline(always)]
fn erf<const FMA: bool>(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / madd::<FMA>(0.327_591_1, a, 1.0);
    let mut p = 1.061_405_4;
    p = madd::<FMA>(p, t, -1.453_152_1);
    p = madd::<FMA>(p, t, 1.421_413_8);
    p = madd::<FMA>(p, t, -0.284_496_74);
    p = madd::<FMA>(p, t, 0.254_829_6);
    let y = 1.0 - p * t * exp::<FMA>(-a * a);
    y.copysign(x)
}

#[inline(always)]
fn gelu_impl<const FMA: bool>(x: &mut [f32]) {
    const FRAC_1_SQRT_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    for v in x.iter_mut() {
        let u = *v;
        *v = 0.5 * u * (1.0 + erf::<FMA>(u * FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn sum<const FMA: bool>(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn softmax_impl<const FMA: bool>(x: &mut [f32], scale: f32) {
    let mut max = f32::NEG_INFINITY;
    for v in x.iter_mut() {
        *v *= scale;
        max = max.max(*v);
    }
    for v in x.iter_mut() {
        *v = exp::<FMA>(*v - max);
    }
    let inv = 1.0 / sum::<FMA>(x);
    for v in x.iter_mut() {
        *v *= inv;
    }
}

#[inline(always)]
fn layer_norm_impl<const FMA: bool>(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let width = gamma.len();
    for row in x.chunks_exact_mut(width) {
        let mean = sum::<FMA>(row) / width as f32;
        let mut acc = [0.0f32; LANES];
        for c in row.chunks_exact(LANES) {
            for i in 0..LANES {
                let d = c[i] - mean;
                acc[i] = madd::<FMA>(d, d, acc[i]);
            }
        }
        let tail: f32 =
            row.chunks_exact(LANES).remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
        let var = (acc.iter().sum::<f32>() + tail) / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = madd::<FMA>((*v - mean) * inv, *g, *b);
        }
    }
}

#[inline(always)]
fn attention_impl<const FMA: bool>(
    qkv: &[f32],
    ctx: &mut [f32],
    len: usize,
    heads: usize,
    head_dim: usize,
) {
    let width = heads * head_dim;
    let stride = 3 * width;
    let scale = 1.0 / (head_dim as f32).sqrt();
    // Keys are transposed per head so a query's scores against 8 keys are one
    // register; `padded` keeps whole registers (the padding scores are never read).
    let padded = len.next_multiple_of(LANES);
    let mut kt = vec![0.0f32; head_dim * padded];
    let mut scores = vec![0.0f32; padded];
    for head in 0..heads {
        let off = head * head_dim;
        for j in 0..len {
            let k = &qkv[j * stride + width + off..][..head_dim];
            for (d, &kd) in k.iter().enumerate() {
                kt[d * padded + j] = kd;
            }
        }
        let values = &qkv[2 * width + off..];
        for i in 0..len {
            let q = &qkv[i * stride + off..][..head_dim];
            let mut jb = 0;
            while jb + 4 * LANES <= padded {
                scores_block::<FMA, 4>(q, &kt, padded, jb, &mut scores);
                jb += 4 * LANES;
            }
            while jb < padded {
                scores_block::<FMA, 1>(q, &kt, padded, jb, &mut scores);
                jb += LANES;
            }
            softmax_impl::<FMA>(&mut scores[..len], scale);
            let out = &mut ctx[i * width + off..][..head_dim];
            let p = &scores[..len];
            let mut db = 0;
            while db + 4 * LANES <= head_dim {
                weighted_block::<FMA, 4>(p, values, stride, db, &mut out[db..]);
                db += 4 * LANES;
            }
            while db + LANES <= head_dim {
                weighted_block::<FMA, 1>(p, values, stride, db, &mut out[db..]);
                db += LANES;
            }
            for (d, o) in out.iter_mut().enumerate().skip(db) {
                *o = p.iter().enumerate().map(|(j, pj)| pj * values[j * stride + d]).sum();
            }
        }
    }
}

/// `scores[jb..jb + 8N] = q · kᵀ` for 8N keys, accumulated in N registers.
#[inline(always)]
fn scores_block<const FMA: bool, const N: usize>(
    q: &[f32],
    kt: &[f32],
    padded: usize,
    jb: usize,
    scores: &mut [f32],
) {
    let mut acc = [[0.0f32; LANES]; N];
    for (d, &qd) in q.iter().enumerate() {
        let row = &kt[d * padded + jb..][..N * LANES];
        for c in 0..N {
            for l in 0..LANES {
                acc[c][l] = madd::<FMA>(qd, row[c * LANES + l], acc[c][l]);
            }
        }
    }
    for (c, a) in acc.iter().enumerate() {
        scores[jb + c * LANES..][..LANES].copy_from_slice(a);
    }
}

/// `out[..8N] = Σ_j p[j] · v[j][col..col + 8N]`, accumulated in N registers.
#[inline(always)]
fn weighted_block<const FMA: bool, const N: usize>(
    p: &[f32],
    values: &[f32],
    stride: usize,
    col: usize,
    out: &mut [f32],
) {
    let mut acc = [[0.0f32; LANES]; N];
    for (j, &pj) in p.iter().enumerate() {
        let row = &values[j * stride + col..][..N * LANES];
        for c in 0..N {
            for l in 0..LANES {
                acc[c][l] = madd::<FMA>(pj, row[c * LANES + l], acc[c][l]);
            }
        }
    }
    for (c, a) in acc.iter().enumerate() {
        out[c * LANES..][..LANES].copy_from_slice(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erf_reference(x: f64) -> f64 {
        // Maclaurin series in f64: accurate to about 1e-10 for |x| < 5; erfc(5) < 2e-12.
        if x.abs() >= 5.0 {
            return x.signum();
        }
        let mut term = x;
        let mut total = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            total += term / (2 * n + 1) as f64;
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_is_accurate_over_the_useful_range() {
        for i in -800..=800 {
            let x = i as f32 / 10.0;
            for got in [exp::<false>(x), exp::<true>(x)] {
                let want = (x as f64).exp();
                let rel = ((got as f64 - want) / want).abs();
                assert!(rel < 1e-6, "exp({x}) = {got}, want {want} (rel {rel})");
            }
        }
        assert!(exp::<false>(-1000.0) < 1e-37);
    }

    #[test]
    fn gelu_matches_the_erf_definition() {
        let xs: Vec<f32> = (-600..=600).map(|i| i as f32 / 100.0).collect();
        let (mut got, mut plain, mut fused) = (xs.clone(), xs.clone(), xs.clone());
        gelu(&mut got);
        gelu_impl::<false>(&mut plain);
        gelu_impl::<true>(&mut fused);
        got.extend(plain);
        got.extend(fused);
        for (x, g) in xs.iter().cycle().zip(&got) {
            let x64 = *x as f64;
            let want = 0.5 * x64 * (1.0 + erf_reference(x64 / std::f64::consts::SQRT_2));
            assert!((*g as f64 - want).abs() < 2e-6, "gelu({x}) = {g}, want {want}");
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        for fma in [false, true] {
            softmax_case(fma);
        }
    }

    fn softmax_case(fma: bool) {
        let mut x = vec![1.0, 2.0, 3.0, -50.0, 0.5, 2.5, 1.5, 0.0, 4.0, 3.5];
        if fma {
            softmax_impl::<true>(&mut x, 0.5)
        } else {
            softmax_impl::<false>(&mut x, 0.5)
        }
        assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let e: Vec<f64> = [1.0f64, 2.0, 3.0, -50.0, 0.5, 2.5, 1.5, 0.0, 4.0, 3.5]
            .iter()
            .map(|v| (v * 0.5).exp())
            .collect();
        let total: f64 = e.iter().sum();
        for (got, want) in x.iter().zip(e.iter().map(|v| v / total)) {
            assert!((*got as f64 - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn layer_norm_centres_and_scales_each_row() {
        let width = 19;
        let mut x: Vec<f32> = (0..width * 2).map(|i| (i * i % 7) as f32).collect();
        let gamma = vec![2.0; width];
        let beta = vec![1.0; width];
        layer_norm(&mut x, &gamma, &beta, 1e-12);
        for row in x.chunks(width) {
            let mean = row.iter().sum::<f32>() / width as f32;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / width as f32;
            assert!((mean - 1.0).abs() < 1e-5, "mean {mean}");
            assert!((var - 4.0).abs() < 1e-3, "var {var}");
        }
    }

    fn naive_attention(qkv: &[f32], len: usize, heads: usize, hd: usize) -> Vec<f32> {
        let w = heads * hd;
        let mut ctx = vec![0.0f32; len * w];
        for h in 0..heads {
            for i in 0..len {
                let q = &qkv[i * 3 * w + h * hd..][..hd];
                let mut s: Vec<f64> = (0..len)
                    .map(|j| {
                        let k = &qkv[j * 3 * w + w + h * hd..][..hd];
                        q.iter().zip(k).map(|(a, b)| (a * b) as f64).sum::<f64>()
                            / (hd as f64).sqrt()
                    })
                    .collect();
                let m = s.iter().cloned().fold(f64::MIN, f64::max);
                s.iter_mut().for_each(|v| *v = (*v - m).exp());
                let t: f64 = s.iter().sum();
                for d in 0..hd {
                    ctx[i * w + h * hd + d] = (0..len)
                        .map(|j| s[j] / t * qkv[j * 3 * w + 2 * w + h * hd + d] as f64)
                        .sum::<f64>() as f32;
                }
            }
        }
        ctx
    }

    #[test]
    fn attention_matches_a_naive_implementation() {
        // Head sizes with and without a remainder past whole registers, lengths across block edges.
        for (heads, hd) in [(3, 32), (2, 12), (1, 40)] {
            for len in [1, 7, 8, 33, 41] {
                let w = heads * hd;
                let qkv: Vec<f32> =
                    (0..len * 3 * w).map(|i| ((i * 7919) % 113) as f32 / 113.0 - 0.5).collect();
                let want = naive_attention(&qkv, len, heads, hd);
                for fma in [false, true] {
                    let mut got = vec![f32::NAN; len * w];
                    if fma {
                        attention_impl::<true>(&qkv, &mut got, len, heads, hd);
                    } else {
                        attention_impl::<false>(&qkv, &mut got, len, heads, hd);
                    }
                    for (g, w) in got.iter().zip(&want) {
                        assert!(
                            (g - w).abs() < 1e-5,
                            "heads {heads} hd {hd} len {len}: {g} vs {w}"
                        );
                    }
                }
            }
        }
    }
}
