# Loads R's datasets::airquality (New York, May to September 1973) into a
# SQL database as the table `airquality`, with an index on month, the
# column the ETL job partitions by.
#
#   Rscript make-db.R                                  # SQLite file airquality.db here
#   Rscript make-db.R sqlite:////tmp/air.db
#   Rscript make-db.R postgresql://postgres@127.0.0.1:5432/etl
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1])))
source(file.path(here, "etl.R"))
url <- commandArgs(TRUE)[1]
if (is.na(url)) url <- "sqlite:///airquality.db"

d <- parse_db_url(url)
if (d$driver == "sqlite" && file.exists(d$path)) invisible(file.remove(d$path))
con <- db_connect(url, write = TRUE)
on.exit(DBI::dbDisconnect(con))
aq <- datasets::airquality
names(aq) <- c("ozone", "solar_r", "wind", "temp", "month", "day")
aq[] <- lapply(aq, function(x) if (is.numeric(x) && all(x == round(x), na.rm = TRUE)) as.integer(x) else x)
if (DBI::dbExistsTable(con, "airquality")) DBI::dbRemoveTable(con, "airquality")
DBI::dbWriteTable(con, "airquality", aq, row.names = FALSE)
invisible(DBI::dbExecute(con, "CREATE INDEX airquality_month ON airquality (month)"))
n <- DBI::dbGetQuery(con, "SELECT month, COUNT(*) AS days FROM airquality GROUP BY month ORDER BY month")
cat(sprintf("airquality: %d rows in %s (days per month: %s)\n", sum(n$days), url,
            paste(sprintf("%d: %d", n$month, n$days), collapse = ", ")))
