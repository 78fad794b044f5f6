build-dev/plots/results.o: plots/results.c plots/outfile.h \
 plots/results.h plots/stats.h
plots/outfile.h:
plots/results.h:
plots/stats.h:
