# One replicate of the two-sample t-test power study, in R: the same study
# as the native kernel ttest_power (examples/power), written the way most
# users write simulations.  rsim calls simulate() once per task with the
# grid parameters and [args] as named arguments, after setting .Random.seed
# to the task's own L'Ecuyer-CMRG stream.
simulate <- function(n, delta, test, sd = 1, alpha = 0.05) {
  x <- rnorm(n, 0, sd)
  y <- rnorm(n, delta, sd)
  tt <- t.test(y, x, var.equal = (test == "student"))
  list(reject = as.integer(tt$p.value < alpha), p_value = tt$p.value,
       estimate = unname(tt$estimate[1] - tt$estimate[2]))
}
