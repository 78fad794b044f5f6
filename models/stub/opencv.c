// SPDX-License-Identifier: MIT
/* An empty stand-in for each OpenCV library Debian's libdarknet names (built once per soname
 * by the Makefile into BUILD/opencv-stub/). models/detector.c loads these before libdarknet so
 * that the ~250 libraries behind OpenCV are never mapped: darknet reaches OpenCV only through
 * functions qoslab does not call (image display, video, imread), which are bound lazily. */
void qoslab_opencv_stub(void);
void qoslab_opencv_stub(void)
{
}
