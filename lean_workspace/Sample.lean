import Sample.Basic
import Sample.Point
import Sample.Order
import Sample.Algebra
import Sample.Sums
