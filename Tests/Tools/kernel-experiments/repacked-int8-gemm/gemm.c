// Throughput of an 8-bit GEMM tile with repacked weights on AVX-512 VNNI (see README.md). Not part of the package.
// Build and run: gcc -O3 -march=native gemm.c -o gemm && ./gemm
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { K = 576, M = 256, N = 576, B = K / 32 };

// Weights repacked per group of 16 output columns: for block b and quad j (elements 4j..4j+3 of the block), the
// 16 columns' four signed bytes are adjacent (64 bytes, one zmm). corr = -128 * (the column's block sum), because
// the activations are stored as unsigned bytes a + 128 (vpdpbusd multiplies unsigned by signed bytes).
static int8_t weights[N / 16][B][8][64];
static int32_t corr[N / 16][B][16];
static float weightScale[N / 16][B][16];
static uint8_t activations[M][K];
static float activationScale[M][B];
static float out[M][N];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int8_t weight(int n, int k) { return weights[n / 16][k / 32][(k % 32) / 4][(n % 16) * 4 + k % 4]; }

int main(void) {
    srand(1);
    for (int g = 0; g < N / 16; g++)
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < 8; j++)
                for (int i = 0; i < 64; i++) weights[g][b][j][i] = (int8_t)(rand() % 255 - 127);
            for (int c = 0; c < 16; c++) weightScale[g][b][c] = (float)(rand() % 1000) * 1e-4f;
        }
    for (int n = 0; n < N; n++)
        for (int b = 0; b < B; b++) {
            int sum = 0;
            for (int k = 0; k < 32; k++) sum += weight(n, b * 32 + k);
            corr[n / 16][b][n % 16] = -128 * sum;
        }
    for (int m = 0; m < M; m++) {
        for (int k = 0; k < K; k++) activations[m][k] = (uint8_t)(rand() % 255 + 1);  // a + 128, a in [-127, 127]
        for (int b = 0; b < B; b++) activationScale[m][b] = (float)(rand() % 1000) * 1e-4f;
    }

    double best = 1e9;
    for (int rep = 0; rep < 30; rep++) {
        double t0 = now();
        for (int g = 0; g < N / 16; g += 2)
            for (int m = 0; m < M; m += 4) {
                // 4 activation rows x 32 columns: 8 float accumulators, 8 integer block sums.
                __m512 acc[4][2];
                for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
                for (int b = 0; b < B; b++) {
                    __m512i sums[4][2];
                    __m512i c0 = _mm512_loadu_si512(corr[g][b]), c1 = _mm512_loadu_si512(corr[g + 1][b]);
                    for (int r = 0; r < 4; r++) { sums[r][0] = c0; sums[r][1] = c1; }
                    for (int j = 0; j < 8; j++) {
                        __m512i w0 = _mm512_loadu_si512(weights[g][b][j]), w1 = _mm512_loadu_si512(weights[g + 1][b][j]);
                        for (int r = 0; r < 4; r++) {
                            __m512i a = _mm512_set1_epi32(*(const int32_t *)&activations[m + r][b * 32 + 4 * j]);
                            sums[r][0] = _mm512_dpbusd_epi32(sums[r][0], a, w0);
                            sums[r][1] = _mm512_dpbusd_epi32(sums[r][1], a, w1);
                        }
                    }
                    __m512 d0 = _mm512_loadu_ps(weightScale[g][b]), d1 = _mm512_loadu_ps(weightScale[g + 1][b]);
                    for (int r = 0; r < 4; r++) {
                        __m512 da = _mm512_set1_ps(activationScale[m + r][b]);
                        acc[r][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r][0]), _mm512_mul_ps(d0, da), acc[r][0]);
                        acc[r][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[r][1]), _mm512_mul_ps(d1, da), acc[r][1]);
                    }
                }
                for (int r = 0; r < 4; r++) {
                    _mm512_storeu_ps(&out[m + r][g * 16], acc[r][0]);
                    _mm512_storeu_ps(&out[m + r][g * 16 + 16], acc[r][1]);
                }
            }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }

    // Every output against the same formula in scalar code (exact integer block sums, the same float steps).
    int mismatches = 0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float acc = 0;
            for (int b = 0; b < B; b++) {
                int32_t sum = 0;
                for (int k = 0; k < 32; k++) sum += (activations[m][b * 32 + k] - 128) * weight(n, b * 32 + k);
                acc = fmaf((float)sum, weightScale[n / 16][b][n % 16] * activationScale[m][b], acc);
            }
            if (acc != out[m][n]) mismatches++;
        }
    double macs = (double)M * N * K;
    printf("one thread: %.1f G multiply-adds/s (%.3f ms for %d x %d x %d), %d of %d outputs differ from scalar\n",
           macs / best / 1e9, best * 1e3, M, N, K, mismatches, M * N);
    return mismatches != 0;
}
