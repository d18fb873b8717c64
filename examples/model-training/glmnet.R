# glmnet through rsim's R backend: the cross-validation enet_cv does
# natively, with the same folds (the column `fold` of the data) and the same
# summaries, so grid-r.toml and grid-native.toml give the same numbers.
# rsim defines the [data] input `train` as a data frame on every rank before
# it sources this script.

predictors <- c("Agriculture", "Examination", "Education", "Catholic", "Infant_Mortality")
x <- as.matrix(train[, predictors])
y <- train$Fertility
fold <- train$fold

# thresh = 1e-20: glmnet's default (1e-7) stops coordinate descent early
# enough to leave 1e-3 relative differences; at 1e-12 it is still ~1e-6 off
# the exact fit.
fit_enet <- function(rows, alpha, lambda, thresh) {
  glmnet::glmnet(x[rows, , drop = FALSE], y[rows], family = "gaussian", alpha = alpha,
                 lambda = lambda, standardize = TRUE, thresh = thresh)
}

# Held-out mean squared error per fold, summarised as cv.glmnet does:
# cv_loss = the mean weighted by fold size, cv_se its standard error.
enet_cv <- function(alpha, lambda, thresh = 1e-20) {
  k <- max(fold)
  loss <- rows <- numeric(k)
  for (f in seq_len(k)) {
    out <- fold == f
    fit <- fit_enet(!out, alpha, lambda, thresh)
    pred <- predict(fit, x[out, , drop = FALSE])
    loss[f] <- mean((y[out] - pred)^2)
    rows[f] <- sum(out)
  }
  cv_loss <- weighted.mean(loss, rows)
  cv_se <- sqrt(weighted.mean((loss - cv_loss)^2, rows) / (k - 1))
  b <- as.vector(coef(fit_enet(rep(TRUE, length(y)), alpha, lambda, thresh)))
  list(cv_loss = cv_loss, cv_se = cv_se, nonzero = as.integer(sum(b[-1] != 0)),
       intercept = b[1], coef = b[-1])
}
