# Demo R task for the rsim R package's examples: scalar, logical, string
# and vector fields, a data frame (table "draws"), warnings and errors.
draw <- function(k, mu, .task) {
  x <- rnorm(k + 2, mu)
  if (mu > 0.5) warning("mu is large")
  if (k == 3 && .task$replicate == 3) stop("k = 3 fails on replicate 3")
  list(
    mean = mean(x), above = mean(x) > mu, label = sprintf("k%d", k),
    range = range(x),
    draws = data.frame(i = seq_len(k), x = x[seq_len(k)])
  )
}
