# A small TOML reader and writer for the subset rsim uses: tables, arrays of
# tables, key = value with strings, integers, floats, booleans, arrays and
# inline tables.  Dates and times are refused.  Used for grid.toml files and
# the output of `rsim --task`.

toml_token_regex <- paste(
  c(
    "(?<comment>#[^\\n]*)",
    "(?<ws>[ \\t\\r]+)",
    "(?<nl>\\n)",
    "(?<mlbasic>\"\"\"[\\s\\S]*?\"\"\"\"{0,2})",
    "(?<basic>\"(?:[^\"\\\\\\n]|\\\\.)*\")",
    "(?<mlliteral>'''[\\s\\S]*?'''(?:'{0,2}))",
    "(?<literal>'[^'\\n]*')",
    "(?<aot>\\[\\[|\\]\\])",
    "(?<punct>[\\[\\]{}=,])",
    "(?<bare>[A-Za-z0-9_+.:-]+)",
    "(?<other>.)"
  ),
  collapse = "|"
)

# Splits TOML text into tokens: a data frame of kind, text and line.
toml_tokens <- function(text) {
  m <- gregexpr(toml_token_regex, text, perl = TRUE)[[1]]
  if (m[1] == -1) {
    return(data.frame(kind = character(), text = character(), line = integer()))
  }
  cs <- attr(m, "capture.start")
  kinds <- colnames(cs)[max.col(cs > 0, ties.method = "first")]
  toks <- regmatches(text, list(m))[[1]]
  nl <- gregexpr("\n", text, fixed = TRUE)[[1]]
  line <- if (nl[1] == -1) rep(1L, length(m)) else findInterval(as.integer(m) - 1L, nl) + 1L
  keep <- !kinds %in% c("comment", "ws", "nl")
  data.frame(kind = kinds[keep], text = toks[keep], line = line[keep], stringsAsFactors = FALSE)
}

toml_unescape <- function(s, what) {
  if (!grepl("\\", s, fixed = TRUE)) return(s)
  out <- character()
  i <- 1L
  chars <- strsplit(s, "")[[1]]
  n <- length(chars)
  buf <- character(n)
  k <- 0L
  while (i <= n) {
    ch <- chars[i]
    if (ch != "\\") {
      k <- k + 1L
      buf[k] <- ch
      i <- i + 1L
      next
    }
    nx <- if (i < n) chars[i + 1L] else ""
    rep <- switch(nx,
      b = "\b", t = "\t", n = "\n", f = "\f", r = "\r", "\"" = "\"", "\\" = "\\",
      u = , U = {
        len <- if (nx == "u") 4L else 8L
        hex <- paste(chars[i + 1L + seq_len(len)], collapse = "")
        if (!grepl("^[0-9A-Fa-f]+$", hex) || nchar(hex) != len) toml_fail(what, "bad \\u escape")
        i <- i + len
        intToUtf8(strtoi(hex, 16L))
      },
      "\n" = , " " = , "\t" = {  # line-ending backslash in a multi-line string
        j <- i + 1L
        while (j <= n && chars[j] %in% c(" ", "\t", "\n", "\r")) j <- j + 1L
        i <- j - 2L
        ""
      },
      toml_fail(what, paste0("unknown escape \\", nx))
    )
    k <- k + 1L
    buf[k] <- rep
    i <- i + 2L
  }
  paste(buf[seq_len(k)], collapse = "")
}

toml_fail <- function(what, msg) {
  stop(sprintf("%s: %s", what, msg), call. = FALSE)
}

#' Parse TOML text into nested lists
#'
#' Tables become named lists; arrays of scalars become atomic vectors
#' (integers as integer when they fit, otherwise double); arrays of tables
#' become unnamed lists.
#' @param text TOML text (one string or lines).
#' @param what name used in error messages.
#' @return A named list.
#' @noRd
parse_toml <- function(text, what = "TOML") {
  text <- paste(enc2utf8(text), collapse = "\n")
  tk <- toml_tokens(text)
  st <- new.env(parent = emptyenv())
  st$i <- 1L
  n <- nrow(tk)
  where <- function() {
    line <- if (st$i <= n) tk$line[st$i] else if (n) tk$line[n] else 1L
    sprintf("%s:%d", what, line)
  }
  peek <- function() if (st$i <= n) tk$text[st$i] else ""
  kind <- function() if (st$i <= n) tk$kind[st$i] else "eof"
  take <- function() {
    st$i <- st$i + 1L
    tk$text[st$i - 1L]
  }
  expect <- function(x) {
    if (peek() != x) toml_fail(where(), sprintf("expected '%s', found '%s'", x, peek()))
    take()
  }
  read_key <- function() {
    parts <- character()
    repeat {
      k <- kind()
      t <- take()
      if (k == "basic") {
        parts <- c(parts, toml_unescape(substr(t, 2L, nchar(t) - 1L), where()))
      } else if (k == "literal") {
        parts <- c(parts, substr(t, 2L, nchar(t) - 1L))
      } else if (k == "bare") {
        bits <- strsplit(t, ".", fixed = TRUE)[[1]]
        if (!length(bits) || any(!nzchar(bits)) || endsWith(t, ".") ||
          any(!grepl("^[A-Za-z0-9_-]+$", bits))) {
          toml_fail(where(), sprintf("bad key '%s'", t))
        }
        parts <- c(parts, bits)
      } else {
        toml_fail(where(), sprintf("expected a key, found '%s'", t))
      }
      # a quoted key may be followed by .more
      if (st$i <= n && startsWith(peek(), ".") && kind() == "bare") {
        nxt <- take()
        st$i <- st$i - 1L
        tk$text[st$i] <<- substring(nxt, 2L)
        next
      }
      break
    }
    parts
  }
  read_value <- function() {
    k <- kind()
    t <- peek()
    if (k == "basic") {
      take()
      return(toml_unescape(substr(t, 2L, nchar(t) - 1L), where()))
    }
    if (k == "literal") {
      take()
      return(substr(t, 2L, nchar(t) - 1L))
    }
    if (k == "mlbasic") {
      take()
      s <- sub("^\n", "", substr(t, 4L, nchar(t) - 3L))
      return(toml_unescape(s, where()))
    }
    if (k == "mlliteral") {
      take()
      return(sub("^\n", "", substr(t, 4L, nchar(t) - 3L)))
    }
    if (t == "[" || t == "[[") return(read_array())
    if (t == "{") return(read_inline())
    if (k == "bare") {
      take()
      return(toml_scalar(t, where()))
    }
    toml_fail(where(), sprintf("expected a value, found '%s'", t))
  }
  read_array <- function() {
    t <- take()
    if (t == "[[") {  # "[[" inside a value is two brackets
      st$i <- st$i - 1L
      tk$text[st$i] <<- "["
    }
    vals <- list()
    repeat {
      if (peek() == "]") {
        take()
        break
      }
      if (peek() == "]]") {
        tk$text[st$i] <<- "]"
        break
      }
      vals[[length(vals) + 1L]] <- read_value()
      if (peek() == ",") {
        take()
      } else if (peek() == "]") {
        take()
        break
      } else if (peek() == "]]") {
        tk$text[st$i] <<- "]"
        break
      } else {
        toml_fail(where(), sprintf("expected ',' or ']' in an array, found '%s'", peek()))
      }
    }
    toml_simplify(vals)
  }
  read_inline <- function() {
    expect("{")
    out <- list()
    if (peek() == "}") {
      take()
      return(out)
    }
    repeat {
      key <- read_key()
      expect("=")
      out <- toml_set(out, key, read_value(), where())
      if (peek() == ",") take() else break
    }
    expect("}")
    out
  }

  root <- list()
  path <- character()
  while (st$i <= n) {
    t <- peek()
    if (t == "[[") {
      take()
      path <- read_key()
      expect("]]")
      root <- toml_append_table(root, path, where())
      path <- c(path, "\001last")
    } else if (t == "[") {
      take()
      path <- read_key()
      expect("]")
      root <- toml_new_table(root, path, where())
    } else {
      key <- read_key()
      expect("=")
      val <- read_value()
      root <- toml_set(root, c(path, key), val, where())
    }
  }
  toml_clean(root)
}

# Drops the parser's bookkeeping attributes.
toml_clean <- function(x) {
  if (!is.list(x)) return(x)
  attr(x, "toml_defined") <- NULL
  attr(x, "toml_array") <- NULL
  for (i in seq_along(x)) if (is.list(x[[i]])) x[i] <- list(toml_clean(x[[i]]))
  x
}

toml_scalar <- function(t, where) {
  if (t == "true") return(TRUE)
  if (t == "false") return(FALSE)
  if (t %in% c("nan", "+nan", "-nan")) return(NaN)
  if (t %in% c("inf", "+inf")) return(Inf)
  if (t == "-inf") return(-Inf)
  u <- gsub("_", "", t, fixed = TRUE)
  if (grepl("^[+-]?(0|[1-9][0-9]*)$", u)) {
    v <- as.numeric(u)
    if (abs(v) <= .Machine$integer.max) return(as.integer(v))
    return(v)
  }
  if (grepl("^0x[0-9A-Fa-f]+$", u)) return(toml_int(as.numeric(paste0("0x", substring(u, 3L)))))
  if (grepl("^0o[0-7]+$", u)) return(toml_int(sum(as.integer(strsplit(substring(u, 3L), "")[[1]]) * 8^(rev(seq_len(nchar(u) - 2L)) - 1))))
  if (grepl("^0b[01]+$", u)) return(toml_int(sum(as.integer(strsplit(substring(u, 3L), "")[[1]]) * 2^(rev(seq_len(nchar(u) - 2L)) - 1))))
  if (grepl("^[+-]?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$", u)) return(as.numeric(u))
  if (grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}", u) || grepl("^[0-9]{2}:[0-9]{2}", u)) {
    toml_fail(where, sprintf("dates and times are not supported ('%s')", t))
  }
  toml_fail(where, sprintf("'%s' is not a value (strings need quotes)", t))
}

toml_int <- function(v) if (abs(v) <= .Machine$integer.max) as.integer(v) else v

# Atomic vector when every element is a scalar of one kind (integers and
# floats mix into double), otherwise the list.
toml_simplify <- function(vals) {
  if (!length(vals)) return(vals)
  scalar <- vapply(vals, function(v) is.atomic(v) && length(v) == 1L, logical(1))
  if (!all(scalar)) return(vals)
  types <- unique(vapply(vals, typeof, ""))
  if (length(types) == 1L) return(unlist(vals, use.names = FALSE))
  if (all(types %in% c("integer", "double"))) return(as.numeric(unlist(vals, use.names = FALSE)))
  vals
}

toml_set <- function(x, key, val, where) {
  if (length(key) == 1L) {
    if (!is.null(x[[key]])) toml_fail(where, sprintf("key '%s' is given twice", key))
    x[[key]] <- if (is.null(val)) list() else val
    return(x)
  }
  head <- key[1]
  if (head == "\001last") {
    x[[length(x)]] <- toml_set(x[[length(x)]], key[-1], val, where)
    return(x)
  }
  sub <- x[[head]]
  if (is.null(sub)) sub <- list()
  if (!is.list(sub)) toml_fail(where, sprintf("key '%s' is a value, not a table", head))
  x[[head]] <- toml_set(sub, key[-1], val, where)
  x
}

toml_new_table <- function(root, path, where) {
  toml_modify(root, path, where, function(old) {
    if (!is.null(old) && !is.null(attr(old, "toml_defined"))) {
      toml_fail(where, sprintf("table [%s] is defined twice", paste(path, collapse = ".")))
    }
    if (is.null(old)) old <- structure(list(), names = character())
    attr(old, "toml_defined") <- TRUE
    old
  })
}

toml_append_table <- function(root, path, where) {
  toml_modify(root, path, where, function(old) {
    if (is.null(old)) old <- structure(list(), toml_array = TRUE)
    if (is.null(attr(old, "toml_array"))) {
      toml_fail(where, sprintf("[[%s]] clashes with a table of that name", paste(path, collapse = ".")))
    }
    old[[length(old) + 1L]] <- structure(list(), names = character())
    old
  })
}

toml_modify <- function(x, path, where, f) {
  if (length(path) == 1L) {
    x[path] <- list(f(x[[path]]))
    return(x)
  }
  sub <- x[[path[1]]]
  if (!is.null(attr(sub, "toml_array"))) {
    sub[[length(sub)]] <- toml_modify(sub[[length(sub)]], path[-1], where, f)
  } else {
    if (is.null(sub)) sub <- list()
    sub <- toml_modify(sub, path[-1], where, f)
  }
  x[path[1]] <- list(sub)
  x
}

# --- writing -------------------------------------------------------------------

# A TOML basic string: quotes, backslashes and control characters escaped.
toml_quote <- function(x) {
  x <- enc2utf8(as.character(x))
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("\n", "\\n", x, fixed = TRUE)
  x <- gsub("\t", "\\t", x, fixed = TRUE)
  x <- gsub("\r", "\\r", x, fixed = TRUE)
  x <- gsub("\b", "\\b", x, fixed = TRUE)
  x <- gsub("\f", "\\f", x, fixed = TRUE)
  ctl <- grepl("[\x01-\x1f\x7f]", x, perl = TRUE)
  if (any(ctl)) {
    x[ctl] <- vapply(x[ctl], function(s) {
      cp <- utf8ToInt(s)
      bad <- cp < 32L | cp == 127L
      parts <- vapply(cp, intToUtf8, "")
      parts[bad] <- sprintf("\\u%04x", cp[bad])
      paste(parts, collapse = "")
    }, "", USE.NAMES = FALSE)
  }
  paste0("\"", x, "\"")
}

toml_key <- function(x) ifelse(grepl("^[A-Za-z0-9_-]+$", x), x, toml_quote(x))

# TOML literals of an atomic vector (no NA), by type.
toml_values <- function(x) {
  if (is.logical(x)) return(ifelse(x, "true", "false"))
  if (is.integer(x)) return(as.character(x))
  if (is.double(x)) {
    s <- formatC(x, digits = 17L, format = "g")
    s <- trimws(s)
    s[x == Inf] <- "inf"
    s[x == -Inf] <- "-inf"
    s[is.nan(x)] <- "nan"
    fin <- is.finite(x)
    # shortest representation that round-trips
    short <- formatC(x, digits = 15L, format = "g")
    same <- fin & as.numeric(short) == x
    s[same] <- trimws(short[same])
    need_dot <- fin & !grepl("[.eE]", s)
    s[need_dot] <- paste0(s[need_dot], ".0")
    s <- sub("e\\+?(-?)0*([0-9])", "e\\1\\2", s)
    return(s)
  }
  toml_quote(x)
}
