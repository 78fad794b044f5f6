build-dev/plots/stats.o: plots/stats.c plots/stats.h
plots/stats.h:
