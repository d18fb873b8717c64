# The task of the airquality ETL job (grid.toml): one task per month, a
# partition of the table `airquality` in a SQL database.  Each task
# extracts its month, cleans it and aggregates it in R, and returns a few
# figures plus a data frame of weekly aggregates, which rsim stores as the
# table /tables/weekly of the result file (rsim::read_table(h5, "weekly")).
#
# The database is named by a connection string, [args] db of grid.toml:
#   sqlite:///airquality.db            SQLite, a path relative to the folder rsim runs in
#   sqlite:////abs/path/airquality.db  SQLite, an absolute path
#   postgresql://user:password@host:5432/dbname   PostgreSQL (user, password and port optional)
# SQLite needs the R package RSQLite, PostgreSQL needs RPostgreSQL; both DBI.

# Splits a connection string into its driver and parts; stops on anything else.
parse_db_url <- function(url) {
  if (grepl("^sqlite://", url)) {
    path <- sub("^/", "", sub("^sqlite://", "", url))
    if (!nzchar(path)) stop("the SQLite connection string has no path: ", url, call. = FALSE)
    return(list(driver = "sqlite", path = path))
  }
  m <- regmatches(url, regexec("^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?([^:/?]*)(:([0-9]+))?/([^?]+)$", url))[[1]]
  if (length(m)) {
    part <- function(i) if (nzchar(m[i])) utils::URLdecode(m[i]) else NULL
    return(list(driver = "postgresql", user = part(4), password = part(6), host = part(7),
                port = if (nzchar(m[9])) as.integer(m[9]) else NULL, dbname = part(10)))
  }
  stop("cannot read the connection string '", url, "': use sqlite:///path.db or ",
       "postgresql://user:password@host:port/dbname", call. = FALSE)
}

# A DBI connection; SQLite is opened read-only unless write = TRUE.
db_connect <- function(url, write = FALSE) {
  d <- parse_db_url(url)
  need <- c(sqlite = "RSQLite", postgresql = "RPostgreSQL")[[d$driver]]
  if (!requireNamespace(need, quietly = TRUE)) {
    stop("connecting to ", d$driver, " needs the R package ", need, call. = FALSE)
  }
  if (d$driver == "sqlite") {
    if (write) return(DBI::dbConnect(RSQLite::SQLite(), d$path))
    if (!file.exists(d$path)) stop("the SQLite database ", d$path, " does not exist (run make-db.R)", call. = FALSE)
    return(DBI::dbConnect(RSQLite::SQLite(), d$path, flags = RSQLite::SQLITE_RO))
  }
  args <- c(list(RPostgreSQL::PostgreSQL()), d[c("user", "password", "host", "port", "dbname")])
  do.call(DBI::dbConnect, Filter(Negate(is.null), args))
}

# One connection per rank, opened by its first task and reused by the next.
.etl <- new.env()
connection <- function(url) {
  con <- .etl[[url]]
  # RPostgreSQL has no dbIsValid() method: count a connection valid then
  if (is.null(con) || !isTRUE(tryCatch(DBI::dbIsValid(con), error = function(e) TRUE))) {
    con <- db_connect(url)
    assign(url, con, envir = .etl)
  }
  con
}
reg.finalizer(.etl, function(e) for (con in as.list(e)) try(DBI::dbDisconnect(con), silent = TRUE), onexit = TRUE)

# Extract, clean and aggregate one month.
etl_month <- function(month, db) {
  con <- connection(db)
  sql <- DBI::sqlInterpolate(con,
    "SELECT day, ozone, solar_r, wind, temp FROM airquality WHERE month = ?month ORDER BY day",
    month = as.integer(month))
  raw <- DBI::dbGetQuery(con, sql)
  if (!nrow(raw)) stop("no rows for month ", month, call. = FALSE)

  # clean: fixed types whatever the driver returns, metric units, drop
  # the days without an ozone or solar radiation reading
  day <- as.integer(raw$day)
  ozone <- as.numeric(raw$ozone)
  solar <- as.numeric(raw$solar_r)
  temp_c <- (as.numeric(raw$temp) - 32) * 5 / 9
  wind_ms <- as.numeric(raw$wind) * 0.44704
  ok <- !is.na(ozone) & !is.na(solar)
  clean <- data.frame(week = (day[ok] - 1L) %/% 7L + 1L, ozone = ozone[ok], solar = solar[ok],
                      temp_c = temp_c[ok], wind_ms = wind_ms[ok])

  # aggregate: one row per week of the month
  weekly <- do.call(rbind, lapply(split(clean, clean$week), function(w) {
    data.frame(week = w$week[1], days = nrow(w), ozone_mean = mean(w$ozone), ozone_max = max(w$ozone),
               days_over_70 = sum(w$ozone > 70), solar_mean = mean(w$solar), temp_c_mean = mean(w$temp_c),
               wind_ms_mean = mean(w$wind_ms))
  }))
  fit <- stats::lm(ozone ~ temp_c + wind_ms, data = clean)
  list(rows = nrow(raw), rows_clean = nrow(clean), ozone_mean = mean(clean$ozone),
       ozone_per_degree = unname(stats::coef(fit)[["temp_c"]]), weekly = weekly)
}
