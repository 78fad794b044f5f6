build-dev/tests/test_stats.o: tests/test_stats.c plots/stats.h tests/t.h
plots/stats.h:
tests/t.h:
