build-dev/plots/plot.o: plots/plot.c plots/plot.h plots/results.h \
 plots/stats.h
plots/plot.h:
plots/results.h:
plots/stats.h:
