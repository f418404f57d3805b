// The float multiply-add peak of this machine: twelve independent 8-lane FMA chains per thread, one and two threads.
// Build and run: gcc -O2 -mavx2 -mfma -pthread fma-peak.c -o fma-peak && ./fma-peak
#include <immintrin.h>
#include <stdio.h>
#include <pthread.h>
#include <time.h>
#define N 4000000000L
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static void* run(void*p){
  __m256 a[12]; __m256 x=_mm256_set1_ps(0.999999f), y=_mm256_set1_ps(1e-7f);
  for(int i=0;i<12;i++) a[i]=_mm256_set1_ps(i);
  for(long n=0;n<N/12;n++){
    #pragma GCC unroll 12
    for(int i=0;i<12;i++) a[i]=_mm256_fmadd_ps(a[i],x,y);
  }
  float s=0; for(int i=0;i<12;i++){float t[8];_mm256_storeu_ps(t,a[i]);s+=t[0];}
  *(float*)p=s; return 0;
}
int main(){
  for(int threads=1;threads<=2;threads++){
    pthread_t th[2]; float r[2]; double t0=now();
    for(int i=0;i<threads;i++) pthread_create(&th[i],0,run,&r[i]);
    for(int i=0;i<threads;i++) pthread_join(th[i],0);
    double dt=now()-t0; double flops=threads*(double)(N/12)*12*8*2;
    printf("%d threads: %.1f GFLOP/s (%.3f s) %f\n",threads,flops/dt/1e9,dt,r[0]);
  }
}
