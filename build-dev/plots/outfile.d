build-dev/plots/outfile.o: plots/outfile.c plots/outfile.h
plots/outfile.h:
