"""Side-by-side load benchmark of Poolgate against moto and ministack; see README.md here."""
