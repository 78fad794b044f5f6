// SPDX-License-Identifier: MIT
/*
 * vecstress PROCS THREADS ROUNDS YIELDS: every thread of every process fills the vector
 * registers this CPU has (xmm0-15; ymm0-15 with AVX; zmm0-31 and k1-7 with AVX-512) with a
 * pattern of its own, yields YIELDS times with a raw syscall (no library code may touch the
 * registers in between), and checks that every register still holds its pattern; ROUNDS times
 * with a new pattern. Run inside UML it proves that each guest task's extended state is saved
 * and restored as its own across context switches (tests/test_xstate_uml.sh). Exit 0 when no
 * register ever changed, 1 otherwise, 2 on bad arguments.
 */
#include <cpuid.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum level { SSE, AVX, AVX512 };
static const char *const level_names[] = { "sse", "avx", "avx512" };

struct job {
	enum level level;
	unsigned int proc, thread, rounds;
	long yields;
	unsigned long mismatches;
};

#define REGS_BYTES (32 * 64)

static enum level detect(void)
{
	unsigned int a, b, c, d, xlo, xhi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return SSE;
	__asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
	if ((xlo & 6) != 6)
		return SSE;
	/* opmask, ZMM_Hi256 and Hi16_ZMM enabled by the OS, and the CPU has AVX-512F */
	if ((xlo & 0xe0) == 0xe0 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F))
		return AVX512;
	return AVX;
}

#define YIELD_LOOP \
	"1:\n\t" \
	"mov %[nr], %%eax\n\t" \
	"syscall\n\t" \
	"mov $2000, %%r8\n\t" \
	"2: dec %%r8\n\t" \
	"jnz 2b\n\t" \
	"dec %%r9\n\t" \
	"jnz 1b\n\t"

static void run_sse(const uint8_t *in, uint8_t *out, long yields)
{
	__asm__ volatile(
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
		"movdqu \\r*16(%[in]), %%xmm\\r\n\t"
		".endr\n\t"
		"mov %[y], %%r9\n\t"
		YIELD_LOOP
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
		"movdqu %%xmm\\r, \\r*16(%[out])\n\t"
		".endr\n\t"
		:
		: [in] "r"(in), [out] "r"(out), [y] "r"(yields), [nr] "i"(SYS_sched_yield)
		: "rax", "rcx", "r8", "r9", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		  "xmm15");
}

__attribute__((target("avx"))) static void run_avx(const uint8_t *in, uint8_t *out, long yields)
{
	__asm__ volatile(
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
		"vmovdqu \\r*32(%[in]), %%ymm\\r\n\t"
		".endr\n\t"
		"mov %[y], %%r9\n\t"
		YIELD_LOOP
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
		"vmovdqu %%ymm\\r, \\r*32(%[out])\n\t"
		".endr\n\t"
		"vzeroupper\n\t"
		:
		: [in] "r"(in), [out] "r"(out), [y] "r"(yields), [nr] "i"(SYS_sched_yield)
		: "rax", "rcx", "r8", "r9", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		  "xmm15");
}

/* zmm0-31 from in[0..2047], k1-7 from in[2048..2061] (16 bits each, AVX-512F's kmovw) */
__attribute__((target("avx512f"))) static void run_avx512(const uint8_t *in, uint8_t *out,
							   long yields)
{
	__asm__ volatile(
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
		"vmovdqu64 \\r*64(%[in]), %%zmm\\r\n\t"
		".endr\n\t"
		".irp r,1,2,3,4,5,6,7\n\t"
		"kmovw 2048+\\r*2(%[in]), %%k\\r\n\t"
		".endr\n\t"
		"mov %[y], %%r9\n\t"
		YIELD_LOOP
		".irp r,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
		"vmovdqu64 %%zmm\\r, \\r*64(%[out])\n\t"
		".endr\n\t"
		".irp r,1,2,3,4,5,6,7\n\t"
		"kmovw %%k\\r, 2048+\\r*2(%[out])\n\t"
		".endr\n\t"
		"vzeroupper\n\t"
		:
		: [in] "r"(in), [out] "r"(out), [y] "r"(yields), [nr] "i"(SYS_sched_yield)
		: "rax", "rcx", "r8", "r9", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		  "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
		  "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "k1", "k2",
		  "k3", "k4", "k5", "k6", "k7");
}

static void *thread_main(void *arg)
{
	struct job *j = arg;
	static const size_t used[] = { 16 * 16, 16 * 32, 32 * 64 + 16 };
	uint8_t in[REGS_BYTES + 64] __attribute__((aligned(64)));
	uint8_t out[REGS_BYTES + 64] __attribute__((aligned(64)));

	for (unsigned int round = 0; round < j->rounds; round++) {
		/* splitmix64 of (proc, thread, round, byte): no two tasks share a pattern */
		uint64_t x = ((uint64_t)j->proc << 40) ^ ((uint64_t)j->thread << 20) ^ round;

		for (size_t i = 0; i < used[j->level]; i += 8) {
			uint64_t z = (x += 0x9e3779b97f4a7c15ULL);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			memcpy(in + i, &z, 8);
		}
		memset(in + 2048, 0, 2); /* k0 is not ours to set */
		memset(out, 0, sizeof(out));
		if (j->level == SSE)
			run_sse(in, out, j->yields);
		else if (j->level == AVX)
			run_avx(in, out, j->yields);
		else
			run_avx512(in, out, j->yields);
		if (memcmp(in, out, used[j->level]))
			j->mismatches++;
	}
	return NULL;
}

static int run_process(unsigned int proc, unsigned int threads, unsigned int rounds, long yields,
		       enum level level)
{
	pthread_t tid[64];
	struct job jobs[64];
	unsigned long bad = 0;
	struct rusage ru;

	for (unsigned int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ level, proc, i, rounds, yields, 0 };
		if (pthread_create(&tid[i], NULL, thread_main, &jobs[i]) != 0)
			return 1;
	}
	for (unsigned int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		bad += jobs[i].mismatches;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("process %u: %lu of %u rounds changed, %ld context switches\n", proc, bad,
	       threads * rounds, ru.ru_nvcsw + ru.ru_nivcsw);
	fflush(stdout);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int procs, threads, rounds, failed = 0;
	enum level level = detect();
	long yields;

	if (argc != 5 || (procs = (unsigned int)atoi(argv[1])) < 1 || procs > 64 ||
	    (threads = (unsigned int)atoi(argv[2])) < 1 || threads > 64 ||
	    (rounds = (unsigned int)atoi(argv[3])) < 1 || (yields = atol(argv[4])) < 1) {
		fprintf(stderr, "usage: vecstress PROCS(1-64) THREADS(1-64) ROUNDS YIELDS\n");
		return 2;
	}
	printf("vecstress: %s registers, %u processes x %u threads x %u rounds x %ld yields\n",
	       level_names[level], procs, threads, rounds, yields);
	fflush(stdout);
	for (unsigned int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(run_process(p, threads, rounds, yields, level));
	}
	for (unsigned int p = 0; p < procs; p++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	printf("vecstress: %s\n", failed ? "REGISTERS CHANGED" : "every register kept its pattern");
	return failed ? 1 : 0;
}
