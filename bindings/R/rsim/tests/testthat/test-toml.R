test_that("a grid.toml parses into typed values", {
  x <- parse_toml(c(
    "# a comment", "[job]", "name = \"ttest\"  # trailing", "seed = 20261129", "replicates = 1_000",
    "[task]", "backend = 'native'", "kernel = \"ttest_power\"",
    "[args]", "alpha = 0.05", "\"a.b\" = true",
    "[grid]", "n = [10, 20,", "  50]  # multi-line", "delta = [0.0, 1e-3, -2.5]", "test = [\"welch\", 'student']"
  ))
  expect_identical(x$job$name, "ttest")
  expect_identical(x$job$seed, 20261129L)
  expect_identical(x$job$replicates, 1000L)
  expect_identical(x$args$alpha, 0.05)
  expect_identical(x$args[["a.b"]], TRUE)
  expect_identical(x$grid$n, c(10L, 20L, 50L))
  expect_identical(x$grid$delta, c(0, 1e-3, -2.5))
  expect_identical(x$grid$test, c("welch", "student"))
  expect_identical(names(x$grid), c("n", "delta", "test"))
})

test_that("arrays of tables keep their order", {
  x <- parse_toml(c("[[points]]", "n = 5", "d = \"exp\"", "[[points]]", "n = 50", "d = \"log\""))
  expect_length(x$points, 2)
  expect_identical(x$points[[2]]$n, 50L)
  expect_identical(x$points[[1]]$d, "exp")
})

test_that("strings written by toml_quote() read back unchanged", {
  s <- c("plain", "quote \" inside", "back\\slash", "new\nline", "tab\there", "ctl\001x", "unicode \u00e9\u4e2d", "")
  for (v in s) {
    expect_identical(parse_toml(paste("x =", toml_quote(v)))$x, v)
  }
  expect_identical(parse_toml("x = 'C:\\path'")$x, "C:\\path")
  expect_identical(parse_toml("x = \"\\u00e9\"")$x, "\u00e9")
})

test_that("doubles written by toml_values() read back exactly", {
  x <- c(0.1, 1 / 3, 1e300, -2.5e-10, 20261129, 0, pi)
  back <- vapply(toml_values(x), function(v) parse_toml(paste("x =", v))$x, numeric(1))
  expect_identical(unname(back), x)
  expect_true(all(grepl("[.e]", toml_values(c(1, 20261129)))))
})

test_that("malformed TOML gives the file and line", {
  expect_error(parse_toml(c("[job]", "name = ttest"), "g.toml"), "g.toml:2.*strings need quotes")
  expect_error(parse_toml(c("[job]", "a = 1", "a = 2"), "g.toml"), "g.toml:3.*given twice")
  expect_error(parse_toml(c("[grid]", "n = [1, 2"), "g.toml"), "g.toml:2")
  expect_error(parse_toml("d = 2024-01-01", "g.toml"), "dates and times are not supported")
})
