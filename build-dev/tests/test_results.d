build-dev/tests/test_results.o: tests/test_results.c plots/results.h \
 plots/stats.h tests/t.h
plots/results.h:
plots/stats.h:
tests/t.h:
