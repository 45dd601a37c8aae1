# Reference values for tests/test_harmonise.py: R sva::ComBat on input.csv.
# Run from this folder: Rscript make_reference.R   (R 4.x, sva 3.46.0)
suppressPackageStartupMessages(library(sva))
d <- read.csv("input.csv")
dat <- t(as.matrix(d[, grep("^f", names(d))]))
mod <- model.matrix(~age, data = d)
out <- list(
  parametric = ComBat(dat, batch = d$batch, mod = NULL, par.prior = TRUE),
  nonparametric = ComBat(dat, batch = d$batch, mod = NULL, par.prior = FALSE),
  covariate = ComBat(dat, batch = d$batch, mod = mod, par.prior = TRUE),
  mean_only = ComBat(dat, batch = d$batch, mod = NULL, par.prior = TRUE, mean.only = TRUE)
)
for (name in names(out)) {
  write.csv(t(out[[name]]), paste0("sva_", name, ".csv"), row.names = FALSE)
}
# one training centre (A) as the reference, an unseen centre (B) estimated on its own rows
ab <- d$batch %in% c("A", "B")
ref <- ComBat(dat[, ab], batch = d$batch[ab], mod = NULL, par.prior = TRUE, ref.batch = "A")
write.csv(t(ref), "sva_refbatch.csv", row.names = FALSE)
