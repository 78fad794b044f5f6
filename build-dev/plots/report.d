build-dev/plots/report.o: plots/report.c commands.h plots/outfile.h \
 plots/plot.h plots/results.h plots/stats.h plots/report.h
commands.h:
plots/outfile.h:
plots/plot.h:
plots/results.h:
plots/stats.h:
plots/report.h:
