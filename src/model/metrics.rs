//! Classification metrics over scores and binary labels: ROC AUC (Mann-Whitney, ties
//! counted half), average precision (step-wise area under the precision-recall curve, as
//! scikit-learn's `average_precision_score`), and accuracy, precision, recall and the
//! confusion matrix at a threshold; plus the ROC and precision-recall curves and stratified
//! bootstrap intervals of ROC AUC and average precision.

use serde::Serialize;

use crate::error::{Error, Result};

/// Metrics of a set of scores at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub roc_auc: f64,
    pub average_precision: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub threshold: f64,
    pub n: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub true_negatives: usize,
    pub false_negatives: usize,
}

fn check(scores: &[f64], labels: &[bool]) -> Result<(usize, usize)> {
    if scores.len() != labels.len() {
        return Err(Error::invalid("scores and labels differ in length"));
    }
    if scores.iter().any(|s| !s.is_finite()) {
        return Err(Error::invalid("a score is not finite"));
    }
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(Error::invalid(format!(
            "metrics need both classes ({pos} positive, {neg} negative)"
        )));
    }
    Ok((pos, neg))
}

/// Indices sorted by descending score.
fn order(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    idx
}

/// Area under the ROC curve.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let (pos, neg) = check(scores, labels)?;
    // Rank-sum with average ranks for ties.
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|&k| labels[idx[k]]).count() as f64 * avg;
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Points of the precision-recall curve at each distinct threshold, descending:
/// (threshold, precision, recall).
pub(crate) fn pr_curve(scores: &[f64], labels: &[bool]) -> Result<Vec<(f64, f64, f64)>> {
    let (pos, _) = check(scores, labels)?;
    let idx = order(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut out = Vec::new();
    for (k, &i) in idx.iter().enumerate() {
        if labels[i] {
            tp += 1
        } else {
            fp += 1
        }
        let last_of_tie = idx.get(k + 1).is_none_or(|&n| scores[n] != scores[i]);
        if last_of_tie {
            out.push((
                scores[i],
                tp as f64 / (tp + fp) as f64,
                tp as f64 / pos as f64,
            ));
        }
    }
    Ok(out)
}

/// Points of the ROC curve at each distinct threshold: (threshold, false-positive rate,
/// true-positive rate), starting from (inf, 0, 0).
pub(crate) fn roc_curve(scores: &[f64], labels: &[bool]) -> Result<Vec<(f64, f64, f64)>> {
    let (pos, neg) = check(scores, labels)?;
    let idx = order(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut out = vec![(f64::INFINITY, 0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if labels[i] {
            tp += 1
        } else {
            fp += 1
        }
        if idx.get(k + 1).is_none_or(|&n| scores[n] != scores[i]) {
            out.push((scores[i], fp as f64 / neg as f64, tp as f64 / pos as f64));
        }
    }
    Ok(out)
}

/// Average precision: sum over thresholds of (recall step) x precision.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Result<f64> {
    let curve = pr_curve(scores, labels)?;
    let mut prev_recall = 0.0;
    let mut ap = 0.0;
    for (_, p, r) in curve {
        ap += (r - prev_recall) * p;
        prev_recall = r;
    }
    Ok(ap)
}

/// All metrics; a score at or above `threshold` is a positive prediction.
pub fn evaluate(scores: &[f64], labels: &[bool], threshold: f64) -> Result<Metrics> {
    let roc_auc = roc_auc(scores, labels)?;
    let average_precision = average_precision(scores, labels)?;
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (&s, &l) in scores.iter().zip(labels) {
        match (s >= threshold, l) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    let n = scores.len();
    let ratio = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    Ok(Metrics {
        roc_auc,
        average_precision,
        accuracy: ratio(tp + tn, n),
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
        threshold,
        n,
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fn_,
    })
}

/// 95 % bootstrap intervals (2.5th and 97.5th percentiles) of ROC AUC and average precision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Intervals {
    pub roc_auc: (f64, f64),
    pub average_precision: (f64, f64),
    pub resamples: usize,
}

/// Stratified bootstrap: `resamples` times, the positives and the negatives are each drawn
/// with replacement in their own numbers (so every resample holds both classes, as the
/// metrics need), and both metrics computed; seeded, so a figure can be reproduced.
pub fn bootstrap(
    scores: &[f64],
    labels: &[bool],
    resamples: usize,
    seed: u64,
) -> Result<Intervals> {
    use rand::{Rng, SeedableRng};
    check(scores, labels)?;
    if resamples < 2 {
        return Err(Error::invalid("the bootstrap needs at least 2 resamples"));
    }
    let (pos, neg): (Vec<usize>, Vec<usize>) = (0..scores.len()).partition(|&i| labels[i]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut aucs, mut aps) = (Vec::with_capacity(resamples), Vec::with_capacity(resamples));
    let mut s = Vec::with_capacity(scores.len());
    let mut l = Vec::with_capacity(scores.len());
    for _ in 0..resamples {
        s.clear();
        l.clear();
        for (class, label) in [(&pos, true), (&neg, false)] {
            for _ in 0..class.len() {
                s.push(scores[class[rng.random_range(0..class.len())]]);
                l.push(label);
            }
        }
        aucs.push(roc_auc(&s, &l)?);
        aps.push(average_precision(&s, &l)?);
    }
    let interval = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        (at(0.025), at(0.975))
    };
    Ok(Intervals {
        roc_auc: interval(&mut aucs),
        average_precision: interval(&mut aps),
        resamples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // scikit-learn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75,
        // average_precision_score(...) = 0.8333...
        let s = [0.1, 0.4, 0.35, 0.8];
        let l = [false, false, true, true];
        assert!((roc_auc(&s, &l).unwrap() - 0.75).abs() < 1e-12);
        assert!((average_precision(&s, &l).unwrap() - 5.0 / 6.0).abs() < 1e-12);
        let m = evaluate(&s, &l, 0.5).unwrap();
        assert_eq!(
            (
                m.true_positives,
                m.false_positives,
                m.true_negatives,
                m.false_negatives
            ),
            (1, 0, 2, 1)
        );
        assert_eq!((m.accuracy, m.precision, m.recall), (0.75, 1.0, 0.5));
    }

    #[test]
    fn ties_count_half_and_one_class_is_an_error() {
        assert!((roc_auc(&[0.5, 0.5], &[true, false]).unwrap() - 0.5).abs() < 1e-12);
        assert!(roc_auc(&[0.5, 0.6], &[true, true]).is_err());
        let c = roc_curve(&[0.9, 0.1], &[true, false]).unwrap();
        assert_eq!(c.last().map(|p| (p.1, p.2)), Some((1.0, 1.0)));
    }

    #[test]
    fn bootstrap_intervals_cover_the_truth_and_shrink_with_more_data() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        // Scores N(1, 1) for positives and N(0, 1) for negatives: the true ROC AUC is
        // Phi(1 / sqrt 2) = 0.7602.
        let draw = |n: usize, seed: u64| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (p, q) = (
                Normal::new(1.0, 1.0).unwrap(),
                Normal::new(0.0, 1.0).unwrap(),
            );
            let s: Vec<f64> = (0..2 * n)
                .map(|i| {
                    if i < n {
                        p.sample(&mut rng)
                    } else {
                        q.sample(&mut rng)
                    }
                })
                .collect();
            let l: Vec<bool> = (0..2 * n).map(|i| i < n).collect();
            (s, l)
        };
        let truth = 0.7602;
        let (s, l) = draw(400, 3);
        let small = bootstrap(&s, &l, 500, 1).unwrap();
        let (lo, hi) = small.roc_auc;
        assert!(lo < truth && truth < hi, "{lo} {hi}");
        let auc = roc_auc(&s, &l).unwrap();
        assert!(lo < auc && auc < hi);
        // Width ~ 2 x 1.96 x 0.0165 = 0.065 at 400 + 400 (Hanley-McNeil).
        assert!((0.04..0.09).contains(&(hi - lo)), "{}", hi - lo);
        let ap = average_precision(&s, &l).unwrap();
        let (alo, ahi) = small.average_precision;
        assert!(alo < ap && ap < ahi);
        // Four times the data: half the width.
        let (s4, l4) = draw(1600, 4);
        let big = bootstrap(&s4, &l4, 500, 1).unwrap();
        let ratio = (big.roc_auc.1 - big.roc_auc.0) / (hi - lo);
        assert!((0.35..0.7).contains(&ratio), "{ratio}");
        // Seeded: the same call gives the same interval.
        assert_eq!(bootstrap(&s, &l, 500, 1).unwrap(), small);
        assert!(bootstrap(&s, &l, 1, 1).is_err());
    }
}
