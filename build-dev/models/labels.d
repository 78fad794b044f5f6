build-dev/models/labels.o: models/labels.c models/labels.h
models/labels.h:
