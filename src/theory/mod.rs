//! Closed forms of queueing theory (owned by the theory work; see issue 4).
