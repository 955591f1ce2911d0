# Extra reference cases for crucible-bench, computed by R (an independent oracle).
#
# Usage (from this folder):  Rscript extra_cases.R extra_cases.json
# Needs R >= 4.2 with Debian's r-cran-effectsize, r-cran-rstatix and r-cran-car
#   (apt-get install -y r-base-core r-cran-effectsize r-cran-rstatix r-cran-car).
# Same JSON format as ../r_reference/bench_r_cases.json (see its README); extra conventions:
#   * keys "details.<name>" compare result.details[name]; "effect_size" / "effect_size_ci" the effect size.
#   * effect-size tests (cohens_d, eta_squared, ...) expect "value" and "ci".
#
# Where R's own function stops early or has no function, the reference is computed here from the
# published formula, and (where an R function exists) checked against it with stopifnot():
#   * effectsize's noncentral CIs use optim() (abstol 1e-9 on probabilities) and fisher.test's
#     conditional MLE / CI use uniroot(tol = 1.2e-4): both are recomputed with uniroot(tol = 1e-13)
#     on the same equations and must agree with the package to 1e-3.
#   * games_howell: rstatix rounds p.adj to 3 digits, so p.adj comes from ptukey() directly (checked
#     against rstatix to 1e-3); Dunn: rstatix::dunn_test.
#   * cochran_q: formula of Cochran (1950), checked against friedman.test on the 0/1 matrix (identical).
#   * sign_test: binom.test on the signs; CI = order statistics from qbinom (Hollander & Wolfe §3.6).
#   * power_mcnemar: Connor (1987); evals: Miller (2024) eq. 2, 4, 7 and §5; permutation: enumeration.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "extra_cases.json"
suppressPackageStartupMessages({ library(rstatix); library(car); library(effectsize) })  # effectsize last: it must mask rstatix::cohens_d etc.

num <- function(v) {
  if (length(v) == 0) return("null")
  s <- ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "1e308", "-1e308"), sprintf("%.17g", v)))
  if (length(v) == 1) s else paste0("[", paste(s, collapse = ","), "]")
}
vec <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ","), "]")
mat <- function(m) paste0("[", paste(apply(m, 1, function(r) vec(r)), collapse = ","), "]")
str <- function(s) paste0('"', gsub('"', '\\\\"', s), '"')
svec <- function(v) paste0("[", paste(str(v), collapse = ","), "]")
lst <- function(l) paste0("[", paste(vapply(l, vec, ""), collapse = ","), "]")
obj <- function(...) {
  kv <- list(...)
  kv <- kv[!vapply(kv, is.null, logical(1))]
  if (length(kv) == 0) return("{}")
  paste0("{", paste(paste0(str(names(kv)), ":", unlist(kv)), collapse = ","), "}")
}
cases <- character(0)
add <- function(id, test, inputs, options, expected, rcall) {
  cases <<- c(cases, obj(id = str(id), test = str(test), inputs = inputs, options = options,
                         expected = expected, r_call = str(rcall)))
}
ht <- function(h, ...) {
  obj(statistic = num(unname(h$statistic)), p_value = num(h$p.value),
      df = if (!is.null(h$parameter)) num(unname(h$parameter)) else NULL,
      ci = if (!is.null(h$conf.int)) num(as.numeric(h$conf.int)) else NULL, ...)
}
close_to <- function(a, b, tol = 1e-3) stopifnot(all(abs(a - b) <= tol * pmax(1, abs(b))))
T <- "true"; F <- "false"
uni <- function(f, lo, hi) uniroot(f, c(lo, hi), tol = 1e-13, maxiter = 10000)$root

# ---- precise noncentral limits (the effectsize definitions, solved tightly) ------------------------
ncp_t <- function(t, df, conf) {
  a <- 1 - conf
  lo <- uni(function(l) pt(t, df, ncp = l) - (1 - a / 2), t - 60, t + 60)
  hi <- uni(function(l) pt(t, df, ncp = l) - a / 2, t - 60, t + 60)
  c(lo, hi)
}
ncp_f <- function(f, df1, df2, conf) {
  a <- 1 - conf
  g <- function(p) if (pf(f, df1, df2) <= p) 0 else uni(function(l) pf(f, df1, df2, ncp = l) - p, 0, 10 * f * df1 + 100)
  c(g(1 - a / 2), g(a / 2))
}
ncp_chi <- function(x, df, conf) {
  a <- 1 - conf
  g <- function(p) if (pchisq(x, df) <= p) 0 else uni(function(l) pchisq(x, df, ncp = l) - p, 0, 10 * x + 100)
  c(g(1 - a / 2), g(a / 2))
}

set.seed(20261123)
x <- round(rnorm(14, 0.71, 0.08), 6); y <- round(rnorm(19, 0.76, 0.12), 6)
xt <- round(x, 2); yt <- round(y, 2)               # with ties
g3 <- list(round(rnorm(9, 10, 2), 2), round(rnorm(12, 12, 3), 2), round(rnorm(7, 11, 1), 2), round(rnorm(10, 13, 2.5), 2))
gl <- function(g) lst(g)
xy <- obj(x = vec(x), y = vec(y))

# ---- t-tests ------------------------------------------------------------------------------------------
add("ttest_student_greater_99", "ttest", xy, obj(equal_var = T, alternative = str("greater"), confidence = "0.99"),
    ht(t.test(x, y, var.equal = TRUE, alternative = "greater", conf.level = 0.99)), "t.test(x, y, var.equal=TRUE, alternative='greater', conf.level=0.99)")
p1 <- x[1:12]; p2 <- round(p1 + rnorm(12, 0.03, 0.05), 6)
add("ttest_paired_less_mu", "ttest", obj(x = vec(p1), y = vec(p2)), obj(paired = T, mu = "0.01", alternative = str("less")),
    ht(t.test(p1, p2, paired = TRUE, mu = 0.01, alternative = "less")), "t.test(x, y, paired=TRUE, mu=0.01, alternative='less')")
add("ttest_one_sample_greater", "ttest", obj(x = vec(x)), obj(mu = "0.7", alternative = str("greater")),
    ht(t.test(x, mu = 0.7, alternative = "greater")), "t.test(x, mu=0.7, alternative='greater')")
wv <- c(round(rnorm(6, 5, 0.3), 3)); wv2 <- round(rnorm(25, 5.4, 2), 3)
add("ttest_welch_unequal", "ttest", obj(x = vec(wv), y = vec(wv2)), obj(),
    ht(t.test(wv, wv2)), "t.test(x, y)  (Welch df with very unequal variances)")

# ---- Mann-Whitney / Wilcoxon / sign ---------------------------------------------------------------------
add("mann_whitney_exact_less", "mann_whitney", obj(x = vec(x[1:9]), y = vec(y[1:11])), obj(exact = T, alternative = str("less")),
    ht(wilcox.test(x[1:9], y[1:11], exact = TRUE, alternative = "less")), "wilcox.test(x, y, exact=TRUE, alternative='less')")
h <- wilcox.test(x[1:9], y[1:11], exact = TRUE, conf.int = TRUE)
add("mann_whitney_exact_conf_int", "mann_whitney", obj(x = vec(x[1:9]), y = vec(y[1:11])), obj(exact = T, conf_int = T),
    ht(h, estimate = num(unname(h$estimate))), "wilcox.test(x, y, exact=TRUE, conf.int=TRUE)")
add("mann_whitney_ties_correct", "mann_whitney", obj(x = vec(xt), y = vec(yt)), obj(),
    ht(suppressWarnings(wilcox.test(xt, yt))), "wilcox.test(x, y) with ties (normal, continuity)")
add("mann_whitney_ties_nocorrect_greater", "mann_whitney", obj(x = vec(xt), y = vec(yt)), obj(correction = F, alternative = str("greater")),
    ht(suppressWarnings(wilcox.test(xt, yt, correct = FALSE, alternative = "greater"))), "wilcox.test(x, y, correct=FALSE, alternative='greater')")
add("mann_whitney_mu", "mann_whitney", xy, obj(mu = "-0.05", exact = F),
    ht(wilcox.test(x, y, mu = -0.05, exact = FALSE)), "wilcox.test(x, y, mu=-0.05, exact=FALSE)")
h <- wilcox.test(p1, p2, paired = TRUE, exact = TRUE, conf.int = TRUE)
add("wilcoxon_paired_exact_conf_int", "wilcoxon", obj(x = vec(p1), y = vec(p2)), obj(exact = T, conf_int = T),
    ht(h, estimate = num(unname(h$estimate))), "wilcox.test(x, y, paired=TRUE, exact=TRUE, conf.int=TRUE)")
zt <- c(0, 0, 0.02, -0.01, 0.02, 0.03, -0.02, 0.05, 0.02, 0.01, 0.04, -0.01, 0.03)
add("wilcoxon_ties_zeros", "wilcoxon", obj(x = vec(zt)), obj(),
    ht(suppressWarnings(wilcox.test(zt))), "wilcox.test(x) with ties and zeros (normal, continuity)")
add("wilcoxon_one_sample_mu_nocorrect", "wilcoxon", obj(x = vec(x)), obj(mu = "0.7", correction = F, exact = F),
    ht(wilcox.test(x, mu = 0.7, correct = FALSE, exact = FALSE)), "wilcox.test(x, mu=0.7, correct=FALSE, exact=FALSE)")
add("wilcoxon_exact_greater", "wilcoxon", obj(x = vec(p2), y = vec(p1)), obj(exact = T, alternative = str("greater")),
    ht(wilcox.test(p2, p1, paired = TRUE, exact = TRUE, alternative = "greater")), "wilcox.test(x, y, paired=TRUE, alternative='greater')")
sign_case <- function(id, a, b, alt, conf = 0.95) {
  d <- a - b; n <- sum(d != 0); s <- sum(d > 0)
  bt <- binom.test(s, n, 0.5, alternative = alt)
  m <- length(d); at <- if (alt == "two.sided") (1 - conf) / 2 else 1 - conf
  k <- sum(pbinom(0:m, m, 0.5) <= at * (1 + 1e-12)); srt <- sort(d)
  ci <- switch(alt, two.sided = c(srt[k], srt[m - k + 1]), greater = c(srt[k], Inf), less = c(-Inf, srt[m - k + 1]))
  add(id, "sign_test", obj(x = vec(a), y = vec(b)), obj(alternative = str(sub("two.sided", "two-sided", alt))),
      obj(statistic = num(s), p_value = num(bt$p.value), estimate = num(median(d)), ci = num(ci)),
      "binom.test(sum(d>0), sum(d!=0)); CI = order statistics d_(k), d_(m-k+1), k = #{pbinom(j) <= alpha/2}")
}
sign_case("sign_test_two_sided", p2, p1, "two.sided")
sign_case("sign_test_greater", p2, p1, "greater")
sign_case("sign_test_less_with_zeros", c(p1[1:6], 0.5, 0.5), c(p2[1:6], 0.5, 0.5), "less")

# ---- k-sample tests --------------------------------------------------------------------------------------
gt <- lapply(g3, function(v) round(v))
add("kruskal_ties_4", "kruskal_wallis", obj(groups = gl(gt)), obj(),
    ht(kruskal.test(gt), effect_size = num(rank_epsilon_squared(gt, ci = NULL)[[1]])), "kruskal.test(groups); rank_epsilon_squared")
dfg <- data.frame(v = unlist(g3), f = factor(rep(seq_along(g3), lengths(g3))))
av <- summary(aov(v ~ f, dfg))[[1]]
ncp <- ncp_f(av$`F value`[1], av$Df[1], av$Df[2], 0.95)
es <- effectsize::F_to_eta2(av$`F value`[1], av$Df[1], av$Df[2], ci = 0.95, alternative = "two.sided")
close_to(c(es$CI_low, es$CI_high), ncp / (ncp + av$Df[2]))
add("anova_unbalanced_eta", "anova", obj(groups = gl(g3)), obj(),
    obj(statistic = num(av$`F value`[1]), p_value = num(av$`Pr(>F)`[1]), df = num(c(av$Df[1], av$Df[2])),
        effect_size = num(es$Eta2_partial), effect_size_ci = num(ncp / (ncp + av$Df[2])),
        details.omega_squared = num(F_to_omega2(av$`F value`[1], av$Df[1], av$Df[2], ci = NULL)[[1]]),
        details.epsilon_squared = num(F_to_epsilon2(av$`F value`[1], av$Df[1], av$Df[2], ci = NULL)[[1]])),
    "summary(aov(v ~ f)); effectsize::F_to_eta2/omega2/epsilon2 (CI solved with uniroot)")
add("welch_anova_4", "welch_anova", obj(groups = gl(g3)), obj(), ht(oneway.test(v ~ f, dfg)), "oneway.test(v ~ f)")
lm_ <- leveneTest(v ~ f, dfg, center = mean)
add("levene_mean_car", "levene", obj(groups = gl(g3)), obj(center = str("mean")),
    obj(statistic = num(lm_$`F value`[1]), p_value = num(lm_$`Pr(>F)`[1]), df = num(lm_$Df)), "car::leveneTest(v ~ f, center=mean)")
lmd <- leveneTest(v ~ f, dfg)
add("levene_median_car", "levene", obj(groups = gl(g3)), obj(center = str("median")),
    obj(statistic = num(lmd$`F value`[1]), p_value = num(lmd$`Pr(>F)`[1]), df = num(lmd$Df)), "car::leveneTest(v ~ f)")
add("bartlett_4", "bartlett", obj(groups = gl(g3)), obj(), ht(bartlett.test(g3)), "bartlett.test(groups)")
frt <- matrix(round(rnorm(30, rep(c(1, 1.3, 1.1), each = 10), 0.3), 1), ncol = 3)
add("friedman_ties", "friedman", obj(data = mat(frt)), obj(),
    ht(friedman.test(frt), effect_size = num(kendalls_w(frt, ci = NULL)[[1]])), "friedman.test(m); effectsize::kendalls_w")
cq <- matrix(rbinom(90, 1, rep(c(0.55, 0.7, 0.62), each = 30)), ncol = 3)
k <- 3; Cj <- colSums(cq); Ri <- rowSums(cq); N <- sum(cq)
Q <- (k - 1) * (k * sum(Cj^2) - N^2) / (k * N - sum(Ri^2))
close_to(Q, unname(friedman.test(cq)$statistic), 1e-12)
add("cochran_q_3", "cochran_q", obj(data = mat(cq)), obj(),
    obj(statistic = num(Q), p_value = num(pchisq(Q, k - 1, lower.tail = FALSE)), df = num(k - 1),
        effect_size = num(Q / (nrow(cq) * (k - 1)))), "Cochran (1950) formula; equals friedman.test(m) on 0/1 data")
cq4 <- matrix(rbinom(100, 1, rep(c(0.5, 0.8, 0.6, 0.65), each = 25)), ncol = 4)
k <- 4; Cj <- colSums(cq4); Ri <- rowSums(cq4); N <- sum(cq4)
Q <- (k - 1) * (k * sum(Cj^2) - N^2) / (k * N - sum(Ri^2))
close_to(Q, unname(friedman.test(cq4)$statistic), 1e-12)
add("cochran_q_4", "cochran_q", obj(data = mat(cq4)), obj(),
    obj(statistic = num(Q), p_value = num(pchisq(Q, k - 1, lower.tail = FALSE)), df = num(k - 1)), "Cochran's Q (4 conditions)")

# ---- repeated-measures ANOVA -------------------------------------------------------------------------------
ns <- 12; lev <- c("t1", "t2", "t3", "t4")
subj_eff <- rnorm(ns, 0, 1)
Y <- sapply(1:4, function(j) round(10 + subj_eff + c(0, 0.4, 0.9, 0.5)[j] + rnorm(ns, 0, 0.4 + 0.25 * j), 3))
long <- data.frame(subject = factor(rep(1:ns, 4)), within = factor(rep(lev, each = ns)), dv = as.vector(Y))
a <- summary(aov(dv ~ within + Error(subject / within), long))[["Error: subject:within"]][[1]]
fit <- lm(Y ~ 1)
sph <- anova(fit, X = ~1, test = "Spherical")
mau <- mauchly.test(fit, X = ~1)
Tm <- stats:::Thin.row(stats:::proj.matrix(diag(4)) - stats:::proj.matrix(matrix(1, 4, 1)))
sp <- stats:::sphericity(SSD(fit), T = Tm)
Fv <- a$`F value`[1]; d1 <- a$Df[1]; d2 <- a$Df[2]
ncp <- ncp_f(Fv, d1, d2, 0.95)
esr <- effectsize::eta_squared(aov(dv ~ within + Error(subject / within), long), alternative = "two.sided")
close_to(esr$Eta2_partial[1], Fv * d1 / (Fv * d1 + d2), 1e-12)
rm_in <- obj(data = obj(subject = svec(as.character(long$subject)), within = svec(as.character(long$within)), dv = vec(long$dv)))
eps_gg <- sp$GG.eps; eps_hf <- sp$HF.eps
add("rm_anova_gg", "rm_anova", rm_in, obj(correction = str("gg")),
    obj(statistic = num(Fv), p_value = num(sph$`G-G Pr`[1]), df = num(c(d1, d2) * eps_gg),
        details.epsilon_gg = num(eps_gg), details.epsilon_hf = num(eps_hf), details.p_uncorrected = num(a$`Pr(>F)`[1]),
        details.p_hf = num(sph$`H-F Pr`[1]), details.mauchly_w = num(unname(mau$statistic)), details.mauchly_p = num(mau$p.value),
        effect_size = num(esr$Eta2_partial[1]), effect_size_ci = num(ncp / (ncp + d2))),
    "aov(dv ~ within + Error(subject/within)); anova(mlm, X=~1, test='Spherical'); mauchly.test; eta_squared")
add("rm_anova_hf", "rm_anova", rm_in, obj(correction = str("hf")),
    obj(statistic = num(Fv), p_value = num(sph$`H-F Pr`[1]), df = num(c(d1, d2) * min(1, eps_hf))),
    "anova(mlm, X=~1, test='Spherical') Huynh-Feldt")
add("rm_anova_none", "rm_anova", rm_in, obj(correction = str("none")),
    obj(statistic = num(Fv), p_value = num(a$`Pr(>F)`[1]), df = num(c(d1, d2))), "aov with Error(subject/within)")

# ---- contingency tables ----------------------------------------------------------------------------------
t33 <- matrix(c(22, 14, 9, 11, 25, 13, 8, 10, 27), 3)
add("chi_square_3x3", "chi_square", obj(table = mat(t33)), obj(correction = F),
    ht(chisq.test(t33), effect_size = num(cramers_v(t33, adjust = FALSE, ci = NULL)[[1]])), "chisq.test(table); effectsize::cramers_v")
t22 <- matrix(c(30, 12, 18, 25), 2)
add("chi_square_2x2_uncorrected", "chi_square", obj(table = mat(t22)), obj(correction = F),
    ht(chisq.test(t22, correct = FALSE)), "chisq.test(2x2, correct=FALSE)")
ob <- c(18, 25, 31, 26)
add("chi_square_gof_equal", "chi_square_gof", obj(observed = vec(ob)), obj(), ht(chisq.test(ob)), "chisq.test(x)")
pr <- c(0.1, 0.3, 0.35, 0.25)
add("chi_square_gof_p", "chi_square_gof", obj(observed = vec(ob), expected = vec(pr)), obj(), ht(chisq.test(ob, p = pr)), "chisq.test(x, p=p)")
# Fisher: conditional MLE and exact limits from fisher.test's own equations, solved tightly
fisher_precise <- function(tab, alt, conf = 0.95) {
  m <- sum(tab[, 1]); n <- sum(tab[, 2]); k <- sum(tab[1, ]); x <- tab[1, 1]
  lo <- max(0, k - n); hi <- min(k, m); s <- lo:hi; logdc <- dhyper(s, m, n, k, log = TRUE)
  dn <- function(lp) { d <- logdc + lp * s; d <- exp(d - max(d)); d / sum(d) }
  mn <- function(lp) sum(s * dn(lp))
  pl <- function(lp) sum(dn(lp)[s <= x]); pu <- function(lp) sum(dn(lp)[s >= x])
  mle <- if (x == lo) 0 else if (x == hi) Inf else exp(uni(function(t) mn(t) - x, -50, 50))
  up <- function(a) if (x == hi) Inf else exp(uni(function(t) pl(t) - a, -50, 50))
  low <- function(a) if (x == lo) 0 else exp(uni(function(t) pu(t) - a, -50, 50))
  ci <- switch(alt, less = c(0, up(1 - conf)), greater = c(low(1 - conf), Inf),
               two.sided = c(low((1 - conf) / 2), up((1 - conf) / 2)))
  ft <- fisher.test(tab, alternative = alt, conf.level = conf)
  # fisher.test solves in psi or 1/psi with uniroot(tol = 1.2e-4): a bound near 600 is only good to ~1%
  close_to(c(mle, ci[is.finite(ci)]), c(unname(ft$estimate), ft$conf.int[is.finite(ft$conf.int)]), 1e-2)
  list(p = ft$p.value, mle = mle, ci = ci)
}
fisher_json <- function(f) obj(p_value = num(f$p), estimate = num(f$mle), ci = num(f$ci))
for (alt in c("two.sided", "less", "greater")) {
  add(paste0("fisher_", sub(".sided", "", alt)), "fisher_exact", obj(table = mat(t22)), obj(alternative = str(sub("two.sided", "two-sided", alt))),
      fisher_json(fisher_precise(t22, alt)), paste0("fisher.test(table, alternative='", alt, "') (MLE/CI re-solved with tol 1e-13)"))
}
add("fisher_small", "fisher_exact", obj(table = mat(matrix(c(3, 1, 1, 3), 2))), obj(),
    fisher_json(fisher_precise(matrix(c(3, 1, 1, 3), 2), "two.sided")), "fisher.test(matrix(c(3,1,1,3),2))")
b33 <- matrix(c(40, 5, 8, 9, 35, 4, 2, 12, 30), 3)
add("mcnemar_bowker_3x3", "mcnemar", obj(table = mat(b33)), obj(), ht(mcnemar.test(b33)), "mcnemar.test(3x3) (Bowker)")
ms <- matrix(c(40, 3, 11, 30), 2)
add("mcnemar_exact_small", "mcnemar", obj(table = mat(ms)), obj(exact = T),
    obj(statistic = num(ms[1, 2]), p_value = num(binom.test(ms[1, 2], ms[1, 2] + ms[2, 1])$p.value)),
    "binom.test(b, b + c) (exact McNemar)")
add("binomial_less_p03", "binomial_test", obj(successes = "21", trials = "80"), obj(p = "0.3", alternative = str("less")),
    ht(binom.test(21, 80, 0.3, alternative = "less"), estimate = num(21 / 80)), "binom.test(21, 80, 0.3, alternative='less')")
add("binomial_greater", "binomial_test", obj(successes = "33", trials = "50"), obj(alternative = str("greater"), confidence = "0.9"),
    ht(binom.test(33, 50, alternative = "greater", conf.level = 0.9), estimate = num(33 / 50)), "binom.test(33, 50, alternative='greater', conf.level=0.9)")
add("binomial_two_sided_p02", "binomial_test", obj(successes = "7", trials = "20"), obj(p = "0.2"),
    ht(binom.test(7, 20, 0.2), estimate = num(7 / 20)), "binom.test(7, 20, 0.2)")
pt_ <- function(id, xs, ns, p = NULL, alt = "two.sided", correct = TRUE) {
  h <- if (is.null(p)) prop.test(xs, ns, alternative = alt, correct = correct) else prop.test(xs, ns, p, alternative = alt, correct = correct)
  add(id, "proportions_test", obj(successes = vec(xs), trials = vec(ns), p = if (is.null(p)) NULL else vec(p)),
      obj(alternative = str(sub("two.sided", "two-sided", alt)), correction = if (correct) T else F),
      ht(h), "prop.test(x, n, ...)")
}
pt_("prop_one_sample", 42, 100)
pt_("prop_one_sample_p03_less", 21, 90, 0.3, "less")
pt_("prop_two_sample", c(45, 58), c(100, 100))
pt_("prop_two_sample_uncorrected_greater", c(45, 58), c(90, 110), alt = "greater", correct = FALSE)
pt_("prop_three_sample", c(30, 42, 37), c(60, 70, 65))

# ---- normality and correlation ------------------------------------------------------------------------------
add("shapiro_n5", "shapiro_wilk", obj(x = vec(x[1:5])), obj(), ht(shapiro.test(x[1:5])), "shapiro.test(x[1:5])")
sk <- round(rexp(60), 3)
add("shapiro_skewed", "shapiro_wilk", obj(x = vec(sk)), obj(), ht(shapiro.test(sk)), "shapiro.test(rexp(60))")
cx <- round(rnorm(25), 3); cy <- round(0.5 * cx + rnorm(25, 0, 0.8), 3)
cor_case <- function(id, a, b, method, alt = "two.sided", exact = NULL, conf = 0.95) {
  h <- suppressWarnings(cor.test(a, b, method = method, alternative = alt, exact = exact, conf.level = conf))
  add(id, "correlation", obj(x = vec(a), y = vec(b)),
      obj(method = str(method), alternative = str(sub("two.sided", "two-sided", alt)),
          exact = if (is.null(exact)) NULL else if (exact) T else F, confidence = num(conf)),
      obj(statistic = num(unname(h$statistic)), p_value = num(h$p.value), estimate = num(unname(h$estimate)),
          ci = if (!is.null(h$conf.int)) num(as.numeric(h$conf.int)) else NULL),
      paste0("cor.test(x, y, method='", method, "', alternative='", alt, "')"))
}
cor_case("pearson_less", cx, cy, "pearson", "less")
cor_case("pearson_greater_90", cx, cy, "pearson", "greater", conf = 0.9)
cor_case("spearman_exact_n8", cx[1:8], cy[1:8], "spearman")
cor_case("spearman_edgeworth_n25", cx, cy, "spearman")
cor_case("spearman_ties_t", round(cx, 1), round(cy, 1), "spearman")
cor_case("kendall_exact_n12", cx[1:12], cy[1:12], "kendall")
cor_case("kendall_exact_greater", cx[1:12], cy[1:12], "kendall", "greater")
cor_case("kendall_ties_normal", round(cx, 1), round(cy, 1), "kendall")

# ---- multiplicity -------------------------------------------------------------------------------------------
pr_ <- round(runif(15)^3, 5); pr_[c(4, 11)] <- NA
for (m in c("bonferroni", "holm", "hochberg", "hommel", "BH", "BY")) {
  add(paste0("p_adjust_nan_", m), "p_adjust", obj(p_values = vec(pr_)), obj(method = str(m)),
      obj(adjusted = num(p.adjust(pr_, method = m))), paste0("p.adjust(p, '", m, "') with NA"))
}
for (m in c("holm", "hommel", "BH")) {
  add(paste0("p_adjust_n20_", m), "p_adjust", obj(p_values = vec(pr_[!is.na(pr_)])), obj(method = str(m), n = "20"),
      obj(adjusted = num(p.adjust(pr_[!is.na(pr_)], method = m, n = 20))), paste0("p.adjust(p, '", m, "', n=20)"))
}
pt2 <- c(0.01, 0.01, 0.04, 0.04, 0.2, 0.03)
add("p_adjust_ties_hommel", "p_adjust", obj(p_values = vec(pt2)), obj(method = str("hommel")),
    obj(adjusted = num(p.adjust(pt2, "hommel"))), "p.adjust(p, 'hommel') with ties")

# ---- post-hoc -------------------------------------------------------------------------------------------------
tk <- TukeyHSD(aov(v ~ f, dfg))$f
add("tukey_unbalanced_4", "tukey_hsd", obj(groups = gl(g3)), obj(),
    obj(pairs = str(paste(rownames(tk), collapse = " ")), diff = num(tk[, "diff"]), ci_low = num(tk[, "lwr"]),
        ci_high = num(tk[, "upr"]), p_adj = num(tk[, "p adj"])), "TukeyHSD(aov(v ~ f))")
gh <- function(g, conf = 0.95) {
  k <- length(g); rows <- NULL
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    d <- mean(g[[j]]) - mean(g[[i]]); va <- var(g[[j]]) / length(g[[j]]); vb <- var(g[[i]]) / length(g[[i]])
    se <- sqrt((va + vb) / 2); df <- (va + vb)^2 / (va^2 / (length(g[[j]]) - 1) + vb^2 / (length(g[[i]]) - 1))
    w <- qtukey(conf, k, df) * se
    rows <- rbind(rows, c(j, i, d, d - w, d + w, ptukey(abs(d) / se, k, df, lower.tail = FALSE)))
  }
  rows
}
G <- gh(g3)
ghr <- as.data.frame(rstatix::games_howell_test(dfg, v ~ f, detailed = TRUE))
close_to(G[, 3], ghr$estimate, 1e-12); close_to(G[, 4], ghr$conf.low, 1e-9); close_to(G[, 6], ghr$p.adj, 1e-3)
add("games_howell_4", "games_howell", obj(groups = gl(g3)), obj(),
    obj(pairs = str(paste(paste0(G[, 1], "-", G[, 2]), collapse = " ")), diff = num(G[, 3]), ci_low = num(G[, 4]),
        ci_high = num(G[, 5]), p_adj = num(G[, 6])),
    "Games-Howell from ptukey/qtukey (rstatix::games_howell_test agrees; it rounds p.adj)")
G90 <- gh(g3[1:3], 0.9)
add("games_howell_3_conf90", "games_howell", obj(groups = gl(g3[1:3])), obj(confidence = "0.9"),
    obj(pairs = str(paste(paste0(G90[, 1], "-", G90[, 2]), collapse = " ")), diff = num(G90[, 3]), ci_low = num(G90[, 4]),
        ci_high = num(G90[, 5]), p_adj = num(G90[, 6])), "Games-Howell, conf.level 0.9")
for (m in c("holm", "bonferroni", "BH")) {
  dn <- as.data.frame(rstatix::dunn_test(data.frame(v = unlist(gt), f = factor(rep(seq_along(gt), lengths(gt)))), v ~ f, p.adjust.method = m, detailed = TRUE))
  add(paste0("dunn_", m), "dunn", obj(groups = gl(gt)), obj(correction = str(m)),
      obj(pairs = str(paste(paste0(dn$group2, "-", dn$group1), collapse = " ")), diff = num(dn$estimate),
          statistic = num(dn$statistic), p_value = num(dn$p), p_adj = num(dn$p.adj)),
      paste0("rstatix::dunn_test(v ~ f, p.adjust.method='", m, "')"))
}
pw <- pairwise.t.test(dfg$v, dfg$f, pool.sd = FALSE, p.adjust.method = "holm")$p.value
pw_pairs <- c(); pw_p <- c()
for (i in 1:3) for (j in (i + 1):4) { pw_pairs <- c(pw_pairs, paste0(j, "-", i)); pw_p <- c(pw_p, pw[j - 1, i]) }
add("pairwise_welch_holm", "pairwise", obj(groups = gl(g3)), obj(test = str("welch"), correction = str("holm")),
    obj(pairs = str(paste(pw_pairs, collapse = " ")), p_adj = num(pw_p)), "pairwise.t.test(v, f, pool.sd=FALSE, p.adjust='holm')")
pw <- pairwise.wilcox.test(dfg$v, dfg$f, p.adjust.method = "BH")$p.value
pw_p <- c(); for (i in 1:3) for (j in (i + 1):4) pw_p <- c(pw_p, pw[j - 1, i])
add("pairwise_mann_whitney_bh", "pairwise", obj(groups = gl(g3)), obj(test = str("mann_whitney"), correction = str("BH")),
    obj(pairs = str(paste(pw_pairs, collapse = " ")), p_adj = num(pw_p)), "pairwise.wilcox.test(v, f, p.adjust='BH')")

# ---- effect sizes ------------------------------------------------------------------------------------------
es_case <- function(id, test, inputs, options, value, ci, rcall) add(id, test, inputs, options, obj(value = num(value), ci = num(ci)), rcall)
n1 <- length(x); n2 <- length(y)
sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / (n1 + n2 - 2)); hn <- 1 / n1 + 1 / n2
tt <- (mean(x) - mean(y)) / (sp * sqrt(hn))
cd <- cohens_d(x, y, ci = 0.95)
L <- ncp_t(tt, n1 + n2 - 2, 0.95) * sqrt(hn); close_to(c(cd$CI_low, cd$CI_high), L)
es_case("cohens_d_pooled", "cohens_d", xy, obj(), cd$Cohens_d, L, "effectsize::cohens_d(x, y)  (noncentral-t CI re-solved tightly)")
cd1 <- cohens_d(x, y, ci = 0.9, alternative = "greater")
L1 <- c(ncp_t(tt, n1 + n2 - 2, 2 * 0.9 - 1)[1] * sqrt(hn), Inf); close_to(cd1$CI_low, L1[1])
es_case("cohens_d_greater_90", "cohens_d", xy, obj(alternative = str("greater"), confidence = "0.9"), cd1$Cohens_d, L1, "cohens_d(x, y, ci=0.9, alternative='greater')")
J <- exp(lgamma((n1 + n2 - 2) / 2) - log(sqrt((n1 + n2 - 2) / 2)) - lgamma((n1 + n2 - 3) / 2))
hg <- hedges_g(x, y, ci = 0.95); close_to(c(hg$CI_low, hg$CI_high), L * J)
es_case("hedges_g", "hedges_g", xy, obj(), hg$Hedges_g, L * J, "effectsize::hedges_g(x, y) (exact J)")
dd <- p1 - p2; tz <- mean(dd) / (sd(dd) / sqrt(length(dd)))
dz <- cohens_d(p1, p2, paired = TRUE, ci = 0.95)
Lz <- ncp_t(tz, length(dd) - 1, 0.95) / sqrt(length(dd)); close_to(c(dz$CI_low, dz$CI_high), Lz)
es_case("cohens_dz", "cohens_dz", obj(x = vec(p1), y = vec(p2)), obj(), dz$Cohens_d, Lz, "cohens_d(x, y, paired=TRUE)")
gd <- glass_delta(x, y, ci = 0.95)
hng <- 1 / n2 + var(x) / (n1 * var(y)); tg <- (mean(x) - mean(y)) / (sd(y) * sqrt(hng))
Lg <- ncp_t(tg, n2 - 1, 0.95) * sqrt(hng); close_to(c(gd$CI_low, gd$CI_high), Lg)
es_case("glass_delta", "glass_delta", xy, obj(), gd$Glass_delta, Lg, "effectsize::glass_delta(x, y)")
rb <- rank_biserial(xt, yt, ci = 0.95)
es_case("rank_biserial_unpaired", "rank_biserial", obj(x = vec(xt), y = vec(yt)), obj(), rb$r_rank_biserial, c(rb$CI_low, rb$CI_high), "effectsize::rank_biserial(x, y)")
rbp <- rank_biserial(p1, p2, paired = TRUE, ci = 0.95)
es_case("rank_biserial_paired", "rank_biserial", obj(x = vec(p1), y = vec(p2)), obj(paired = T), rbp$r_rank_biserial, c(rbp$CI_low, rbp$CI_high), "rank_biserial(x, y, paired=TRUE)")
cl <- cliffs_delta(x, y, ci = 0.95)
es_case("cliffs_delta", "cliffs_delta", xy, obj(), cl$r_rank_biserial, c(cl$CI_low, cl$CI_high), "effectsize::cliffs_delta(x, y)")
ps <- p_superiority(x, y, parametric = FALSE, ci = 0.95)
es_case("cles_nonparametric", "cles", xy, obj(), ps[[1]], c(ps$CI_low, ps$CI_high), "p_superiority(x, y, parametric=FALSE)")
ps2 <- p_superiority(x, y, parametric = TRUE, ci = 0.95)
Lp <- pnorm(L / sqrt(2)); close_to(c(ps2$CI_low, ps2$CI_high), Lp)
es_case("cles_parametric", "cles", xy, obj(parametric = T), ps2[[1]], Lp, "p_superiority(x, y, parametric=TRUE)")
Fv <- av$`F value`[1]; d1 <- av$Df[1]; d2 <- av$Df[2]
pve_ci <- function(es) { f <- max(0, (es / d1) / ((1 - es) / d2)); l <- ncp_f(f, d1, d2, 0.95); l / (l + d2) }
e2 <- F_to_eta2(Fv, d1, d2, ci = 0.95, alternative = "two.sided")
es_case("eta_squared_4", "eta_squared", obj(groups = gl(g3)), obj(), e2[[1]], pve_ci(e2[[1]]), "F_to_eta2(F, df, df_error, alternative='two.sided')")
o2 <- F_to_omega2(Fv, d1, d2, ci = 0.95, alternative = "two.sided"); close_to(c(o2$CI_low, o2$CI_high), pve_ci(o2[[1]]))
es_case("omega_squared_4", "omega_squared", obj(groups = gl(g3)), obj(), o2[[1]], pve_ci(o2[[1]]), "F_to_omega2(..., alternative='two.sided')")
ep <- F_to_epsilon2(Fv, d1, d2, ci = 0.95, alternative = "two.sided"); close_to(c(ep$CI_low, ep$CI_high), pve_ci(ep[[1]]))
es_case("epsilon_squared_4", "epsilon_squared", obj(groups = gl(g3)), obj(), ep[[1]], pve_ci(ep[[1]]), "F_to_epsilon2(..., alternative='two.sided')")
pe <- F_to_eta2(7.3, 2, 40, ci = 0.95, alternative = "two.sided"); lpe <- ncp_f(7.3, 2, 40, 0.95)
close_to(c(pe$CI_low, pe$CI_high), lpe / (lpe + 40))
es_case("partial_eta_squared", "partial_eta_squared", obj(f = "7.3", df_effect = "2", df_error = "40"), obj(), pe[[1]], lpe / (lpe + 40), "F_to_eta2(7.3, 2, 40)")
cv <- cramers_v(t33, adjust = FALSE, ci = 0.95, alternative = "two.sided")
X2 <- unname(chisq.test(t33)$statistic); lc <- ncp_chi(X2, 4, 0.95); Lv <- sqrt(lc / (sum(t33) * 2))
close_to(c(cv$CI_low, cv$CI_high), Lv)
es_case("cramers_v_3x3", "cramers_v", obj(table = mat(t33)), obj(), cv[[1]], Lv, "cramers_v(table, adjust=FALSE, alternative='two.sided')")
cva <- cramers_v(t33, adjust = TRUE, ci = 0.95, alternative = "two.sided")
nn <- sum(t33); adj <- function(phi) sqrt(pmax(0, phi^2 - 4 / (nn - 1))); kk <- 3 - 4 / (nn - 1)
Lva <- adj(sqrt(lc / nn)) / sqrt(kk - 1); close_to(c(cva$CI_low, cva$CI_high), Lva)
es_case("cramers_v_adjusted", "cramers_v", obj(table = mat(t33)), obj(adjust = T), cva[[1]], Lva, "cramers_v(table, adjust=TRUE)")
orr <- oddsratio(t22, ci = 0.95)
es_case("odds_ratio_wald", "odds_ratio", obj(table = mat(t22)), obj(), orr$Odds_ratio, c(orr$CI_low, orr$CI_high), "effectsize::oddsratio(table)")
fx <- fisher_precise(t22, "two.sided")
es_case("odds_ratio_conditional", "odds_ratio", obj(table = mat(t22)), obj(method = str("conditional")), fx$mle, fx$ci, "fisher.test(table) estimate and conf.int (re-solved)")
rd_ <- function(tab, conf = 0.95) {
  n1 <- sum(tab[1, ]); n2 <- sum(tab[2, ]); q1 <- tab[1, 1] / n1; q2 <- tab[2, 1] / n2
  w1 <- prop.test(tab[1, 1], n1, correct = FALSE, conf.level = conf)$conf.int
  w2 <- prop.test(tab[2, 1], n2, correct = FALSE, conf.level = conf)$conf.int
  dl <- q1 - q2
  c(dl, dl - sqrt((q1 - w1[1])^2 + (w2[2] - q2)^2), dl + sqrt((w1[2] - q1)^2 + (q2 - w2[1])^2))
}
rr <- rd_(t22)
es_case("risk_difference_newcombe", "risk_difference", obj(table = mat(t22)), obj(), rr[1], rr[2:3], "Newcombe (1998) method 10 from prop.test(correct=FALSE) Wilson limits")
pw_ <- prop.test(c(t22[1, 1], t22[2, 1]), rowSums(t22), correct = FALSE)
es_case("risk_difference_wald", "risk_difference", obj(table = mat(t22)), obj(method = str("wald")), rr[1], pw_$conf.int, "prop.test(x, n, correct=FALSE)$conf.int")

# ---- power ----------------------------------------------------------------------------------------------------
pcase <- function(id, test, inputs, options, expected, rcall) add(id, test, inputs, options, expected, rcall)
p <- power.t.test(n = 15, delta = 0.6, type = "one.sample")
pcase("power_t_one_sample", "power_ttest", obj(n = "15", d = "0.6"), obj(kind = str("one-sample")), obj(power = num(p$power)), "power.t.test(n=15, delta=0.6, type='one.sample')")
p <- power.t.test(n = 30, delta = 0.4, type = "paired", alternative = "one.sided")
pcase("power_t_paired_one_sided", "power_ttest", obj(n = "30", d = "0.4"), obj(kind = str("paired"), alternative = str("greater")), obj(power = num(p$power)), "power.t.test(n=30, delta=0.4, type='paired', alternative='one.sided')")
p <- power.t.test(n = 10, delta = 0.5, strict = TRUE)
pcase("power_t_strict", "power_ttest", obj(n = "10", d = "0.5"), obj(strict = T), obj(power = num(p$power)), "power.t.test(n=10, delta=0.5, strict=TRUE)")
p <- power.t.test(n = 25, power = 0.9)
pcase("power_t_solve_d", "power_ttest", obj(n = "25", power = "0.9"), obj(), obj(d = num(p$delta)), "power.t.test(n=25, power=0.9) solving delta")
p <- power.t.test(n = 40, delta = 0.5, power = 0.8, sig.level = NULL)
pcase("power_t_solve_alpha", "power_ttest", obj(n = "40", d = "0.5", power = "0.8", alpha = "null"), obj(), obj(alpha = num(p$sig.level)), "power.t.test(n=40, delta=0.5, power=0.8, sig.level=NULL)")
p <- power.t.test(delta = 0.3, power = 0.9, type = "paired", alternative = "one.sided")
pcase("power_t_paired_solve_n", "power_ttest", obj(d = "0.3", power = "0.9"), obj(kind = str("paired"), alternative = str("greater")), obj(n = num(p$n)), "power.t.test(delta=0.3, power=0.9, type='paired', alternative='one.sided')")
p <- power.prop.test(n = 200, p1 = 0.6, p2 = 0.7)
pcase("power_prop_power", "power_proportions", obj(p1 = "0.6", p2 = "0.7", n = "200"), obj(), obj(power = num(p$power)), "power.prop.test(n=200, p1=0.6, p2=0.7)")
p <- power.prop.test(p1 = 0.5, p2 = 0.6, power = 0.9, alternative = "one.sided")
pcase("power_prop_one_sided_n", "power_proportions", obj(p1 = "0.5", p2 = "0.6", power = "0.9"), obj(alternative = str("greater")), obj(n = num(p$n)), "power.prop.test(p1=0.5, p2=0.6, power=0.9, alternative='one.sided')")
p <- power.prop.test(n = 150, p1 = 0.7, power = 0.8)
pcase("power_prop_solve_p2", "power_proportions", obj(p1 = "0.7", n = "150", power = "0.8"), obj(), obj(p2 = num(p$p2)), "power.prop.test(n=150, p1=0.7, power=0.8) solving p2")
p <- power.prop.test(n = 100, p1 = 0.3, p2 = 0.45, strict = TRUE)
pcase("power_prop_strict", "power_proportions", obj(p1 = "0.3", p2 = "0.45", n = "100"), obj(strict = T), obj(power = num(p$power)), "power.prop.test(..., strict=TRUE)")
# one-sided: R's "one.sided" takes |p1 - p2|; ours says the direction ("greater": p2 > p1, "less": p2 < p1)
p <- power.prop.test(n = 100, p1 = 0.5, p2 = 0.65, alternative = "one.sided")
pcase("power_prop_one_sided_power", "power_proportions", obj(p1 = "0.5", p2 = "0.65", n = "100"), obj(alternative = str("greater")), obj(power = num(p$power)), "power.prop.test(n=100, p1=0.5, p2=0.65, alternative='one.sided')")
p <- power.prop.test(n = 100, p1 = 0.65, p2 = 0.5, alternative = "one.sided")
pcase("power_prop_one_sided_less", "power_proportions", obj(p1 = "0.65", p2 = "0.5", n = "100"), obj(alternative = str("less")), obj(power = num(p$power)), "power.prop.test(n=100, p1=0.65, p2=0.5, alternative='one.sided')")
p <- power.prop.test(n = 150, p1 = 0.4, power = 0.8, alternative = "one.sided")
pcase("power_prop_one_sided_solve_p2", "power_proportions", obj(p1 = "0.4", n = "150", power = "0.8"), obj(alternative = str("greater")), obj(p2 = num(p$p2)), "power.prop.test(n=150, p1=0.4, power=0.8, alternative='one.sided') solving p2")
p <- power.anova.test(groups = 3, n = 20, between.var = 1, within.var = 5)
fq <- sqrt(1 * 2 / 3 / 5)
pcase("power_anova_power", "power_anova", obj(groups = "3", n = "20", f = num(fq)), obj(), obj(power = num(p$power)), "power.anova.test(groups=3, n=20, between.var=1, within.var=5)")
p <- power.anova.test(groups = 5, between.var = 1, within.var = 4, power = 0.9)
pcase("power_anova_n5", "power_anova", obj(groups = "5", f = num(sqrt(1 * 4 / 5 / 4)), power = "0.9"), obj(), obj(n = num(p$n)), "power.anova.test(groups=5, between.var=1, within.var=4, power=0.9)")
mcn <- function(p10, p01, n = NULL, power = NULL, alpha = 0.05, tails = 2) {
  psi <- p10 + p01; dl <- p10 - p01; za <- qnorm(1 - alpha / tails)
  if (is.null(n)) (za * sqrt(psi) + qnorm(power) * sqrt(psi - dl^2))^2 / dl^2
  else pnorm((abs(dl) * sqrt(n) - za * sqrt(psi)) / sqrt(psi - dl^2))
}
pcase("power_mcnemar_n", "power_mcnemar", obj(p10 = "0.15", p01 = "0.08", power = "0.8"), obj(), obj(n = num(mcn(0.15, 0.08, power = 0.8))), "Connor (1987): n = (z_a sqrt(psi) + z_b sqrt(psi - d^2))^2 / d^2")
pcase("power_mcnemar_power", "power_mcnemar", obj(p10 = "0.12", p01 = "0.05", n = "300"), obj(), obj(power = num(mcn(0.12, 0.05, n = 300))), "Connor (1987) power")
pcase("power_mcnemar_one_sided", "power_mcnemar", obj(p10 = "0.2", p01 = "0.1", power = "0.9"), obj(alternative = str("greater")), obj(n = num(mcn(0.2, 0.1, power = 0.9, tails = 1))), "Connor (1987), one-sided")

# ---- permutation (exact enumeration) ---------------------------------------------------------------------------
pa <- c(0.61, 0.74, 0.58, 0.69, 0.77, 0.65); pb <- c(0.55, 0.62, 0.52, 0.66, 0.59)
pooled <- c(pa, pb); cmb <- combn(length(pooled), length(pa))
st <- apply(cmb, 2, function(i) mean(pooled[i]) - mean(pooled[-i])); obs <- mean(pa) - mean(pb)
pg <- mean(st >= obs - 1e-12); pl <- mean(st <= obs + 1e-12)
add("permutation_exact_unpaired", "permutation_test", obj(x = vec(pa), y = vec(pb)), obj(),
    obj(statistic = num(obs), p_value = num(min(1, 2 * min(pg, pl)))), "enumeration of all combn(11, 6) relabelings; two-sided = 2 min(tails)")
qa <- p1[1:10]; qb <- p2[1:10]; dd <- qa - qb
sg <- as.matrix(expand.grid(rep(list(c(1, -1)), 10))); st <- as.vector(sg %*% dd) / 10
add("permutation_exact_paired_greater", "permutation_test", obj(x = vec(qa), y = vec(qb)), obj(paired = T, alternative = str("greater")),
    obj(statistic = num(mean(dd)), p_value = num(mean(st >= mean(dd) - 1e-12))), "all 2^10 sign flips of the paired differences")

# ---- LLM evals (Miller 2024) ---------------------------------------------------------------------------------------
sc <- rbinom(40, 1, 0.7); cl_ <- rep(1:10, each = 4)
e <- sc - mean(sc); se <- sqrt(sum(e^2) / (40 * 39))
sec <- sqrt(se^2 + (sum(tapply(e, cl_, sum)^2) - sum(e^2)) / 40^2)
add("eval_mean_clustered", "eval_mean", obj(scores = vec(sc), clusters = vec(cl_)), obj(),
    obj(mean = num(mean(sc)), standard_error = num(sec), standard_error_clt = num(se), ci = num(mean(sc) + c(-1, 1) * qnorm(0.975) * sec)),
    "Miller (2024) eq. 2 and 4")
K <- 5; M <- matrix(rbinom(30 * K, 1, rep(runif(30, 0.3, 0.9), K)), ncol = K)
sm <- rowMeans(M); w <- mean(apply(M, 1, var))
add("eval_mean_repeats", "eval_mean", obj(scores = mat(M)), obj(),
    obj(mean = num(mean(sm)), standard_error = num(sd(sm) / sqrt(30)), within_question_variance = num(w),
        standard_error_single_sample = num(sqrt((var(sm) + w * (1 - 1 / K)) / 30))), "Miller (2024) §3: K = 5 samples per question")
ea <- rbinom(50, 1, 0.72); eb <- ifelse(runif(50) < 0.8, ea, rbinom(50, 1, 0.6)); dd <- ea - eb
sed <- sd(dd) / sqrt(50); zz <- mean(dd) / sed
add("paired_eval_difference", "paired_eval_difference", obj(a = vec(ea), b = vec(eb)), obj(),
    obj(difference = num(mean(dd)), standard_error = num(sed), z = num(zz), p_value = num(2 * pnorm(-abs(zz))),
        correlation = num(cor(ea, eb)), standard_error_unpaired = num(sqrt((var(ea) + var(eb)) / 50))), "Miller (2024) eq. 7")
vd <- 0.2^2 + 0.25^2 - 2 * 0.5 * 0.2 * 0.25 + (0.1 + 0.12) / 3
add("eval_sample_size", "eval_sample_size", obj(effect = "0.03"), obj(paired_correlation = "0.5", sd = "[0.2,0.25]", repeats = "3", within_variance = "[0.1,0.12]"),
    obj(n = num((qnorm(0.975) + qnorm(0.8))^2 * vd / 0.03^2)), "Miller (2024) §5 sample-size formula")

writeLines(paste0("{\"generator\":\"", R.version.string, "; effectsize ", packageVersion("effectsize"), "; rstatix ",
                  packageVersion("rstatix"), "; car ", packageVersion("car"), "\",\"set\":\"extra\",\"cases\":[\n",
                  paste(cases, collapse = ",\n"), "\n]}"), out)
cat(length(cases), "cases written to", out, "\n")
