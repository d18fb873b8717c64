# Picks the best (alpha, lambda) of an elastic-net grid by cross-validated
# loss and plots the CV loss against log(lambda), one line per alpha.
# Reads the result file with the rsim R package; works on the results of
# grid-native.toml, grid-repeated.toml (averaged over the replicates of each
# grid point) and grid-r.toml alike.
#
#   Rscript best.R enet-native.h5 [plot.png]     (default: enet-native.png)
library(rsim)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript best.R RESULT.h5 [PLOT.png]")
file <- args[1]
png_file <- if (length(args) >= 2) args[2] else sub("\\.h5$", ".png", file)
# The order of coef: the predictors of make-data.sh's swiss.csv.
predictors <- c("Agriculture", "Examination", "Education", "Catholic", "Infant_Mortality")

# One row per grid point: cv_loss and cv_se averaged over its replicates.
s <- summarise_results(file, fields = c("cv_loss", "cv_se"))
best <- s[which.min(s$cv_loss_mean), ]
cat(sprintf("best: alpha = %g, lambda = %g, CV loss (MSE) %.4f, standard error %.4f (over %d replicate(s))\n",
            best$alpha, best$lambda, best$cv_loss_mean, best$cv_se_mean, best$cv_loss_n))

# Per alpha: the lambda of least CV loss, and the largest lambda within one
# standard error of it (glmnet's lambda.1se).
per_alpha <- do.call(rbind, lapply(split(s, s$alpha), function(a) {
  i <- which.min(a$cv_loss_mean)
  within <- a$lambda[a$cv_loss_mean <= a$cv_loss_mean[i] + a$cv_se_mean[i]]
  data.frame(alpha = a$alpha[i], lambda_min = a$lambda[i], cv_loss = a$cv_loss_mean[i],
             lambda_1se = max(within))
}))
print(per_alpha, row.names = FALSE, digits = 4)

# The fit on all rows at the best point (the same in every replicate).
res <- read_results(file, status = "ok", columns = c("alpha", "lambda", "intercept", "coef", "nonzero"))
fit <- res[res$alpha == best$alpha & res$lambda == best$lambda, ][1, ]
cat("\ncoefficients at the best point (original scale):\n")
print(setNames(c(fit$intercept, fit$coef), c("(Intercept)", predictors)), digits = 5)

png(png_file, width = 800, height = 560)
alphas <- sort(unique(s$alpha))
cols <- hcl.colors(length(alphas), "Dark 3")
plot(log(s$lambda), s$cv_loss_mean, type = "n", xlab = "log(lambda)", ylab = "cross-validated MSE",
     main = paste0("CV loss of the elastic net, ", basename(file)))
for (k in seq_along(alphas)) {
  a <- s[s$alpha == alphas[k], ]
  a <- a[order(a$lambda), ]
  arrows(log(a$lambda), a$cv_loss_mean - a$cv_se_mean, log(a$lambda), a$cv_loss_mean + a$cv_se_mean,
         angle = 90, code = 3, length = 0.03, col = adjustcolor(cols[k], 0.4))
  lines(log(a$lambda), a$cv_loss_mean, type = "b", pch = 19, col = cols[k])
}
points(log(best$lambda), best$cv_loss_mean, pch = 1, cex = 2.5, lwd = 2)
legend("topleft", legend = paste("alpha =", alphas), col = cols, lwd = 2, pch = 19, bty = "n")
invisible(dev.off())
cat("plot:", png_file, "\n")
