"""What a guarded query may contain, as allow-lists over sqlglot's tree: the node kinds, the
functions (by node kind, or by name for functions sqlglot leaves anonymous), the types a
value may be cast to and the date parts. Anything not listed here is refused, so a
construct nobody thought about is refused rather than let through."""

from __future__ import annotations

from sqlglot import exp

from arbiter_analysis.sql.refusal import Refusal

QUERY_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Select,
        exp.Union,
        exp.Except,
        exp.Intersect,
        exp.Subquery,
        exp.With,
        exp.CTE,
        exp.From,
        exp.Join,
        exp.Table,
        exp.TableAlias,
        exp.Where,
        exp.Group,
        exp.Rollup,
        exp.Cube,
        exp.GroupingSets,
        exp.Having,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Distinct,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Tuple,
        exp.Paren,
    }
)
"""The parts of a SELECT: clauses, sources, names."""

VALUE_NODES: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Literal,
        exp.Boolean,
        exp.Null,
        exp.Interval,
        exp.DataType,
        exp.DataTypeParam,
        exp.Var,  # only as a date part: checked where it stands
        exp.Window,
        exp.WindowSpec,
        exp.Filter,
        exp.WithinGroup,
        exp.And,
        exp.Or,
        exp.Not,
        exp.Neg,
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Any,
        exp.All,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.Mod,
        exp.DPipe,
    }
)
"""Values, operators and the window/aggregate clauses around functions."""

FUNCTIONS: frozenset[type[exp.Func]] = frozenset(
    {
        # aggregates
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        exp.PercentileCont,
        exp.PercentileDisc,
        exp.Mode,
        exp.GroupConcat,
        exp.ArrayAgg,
        exp.LogicalAnd,
        exp.LogicalOr,
        # window functions
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.Lag,
        exp.Lead,
        exp.Ntile,
        exp.FirstValue,
        exp.LastValue,
        # dates
        exp.Extract,
        exp.TimestampTrunc,
        exp.DateTrunc,
        exp.TimeToStr,
        exp.CurrentDate,
        # numbers
        exp.Round,
        exp.Abs,
        exp.Ceil,
        exp.Floor,
        exp.Greatest,
        exp.Least,
        exp.Nullif,
        exp.Coalesce,
        exp.Pow,
        exp.Sqrt,
        exp.Ln,
        exp.Exp,
        exp.Sign,
        # text
        exp.Lower,
        exp.Upper,
        exp.Length,
        exp.Substring,
        exp.Trim,
        exp.Concat,
        exp.Replace,
        exp.Left,
        exp.Right,
        exp.StrPosition,
        exp.SplitPart,
        # expressions sqlglot models as functions
        exp.Cast,
        exp.Case,
        exp.If,
        exp.Exists,
    }
)
"""Functions sqlglot knows by kind."""

NAMED_FUNCTIONS = frozenset({"make_date", "age", "date_part"})
"""Functions sqlglot leaves anonymous, by their (unquoted) PostgreSQL name."""

CAST_TYPES: frozenset[exp.DType] = frozenset(
    {
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.INTERVAL,
        exp.DataType.Type.BOOLEAN,
    }
)
"""Ordinary types; object-identifier types (regclass, regproc, oid, ...), arrays, json,
xml and user-defined types reach catalogs or functions indirectly, so they are refused."""

DATE_PARTS = frozenset(
    {
        "century",
        "decade",
        "year",
        "quarter",
        "month",
        "week",
        "day",
        "hour",
        "minute",
        "second",
        "dow",
        "isodow",
        "doy",
        "isoyear",
        "epoch",
        "days",
        "months",
        "years",
        "weeks",
        "hours",
        "minutes",
        "seconds",
    }
)
"""Words a date part may be (EXTRACT, date_trunc, INTERVAL units)."""

DATE_PART_HOLDERS: tuple[type[exp.Expr], ...] = (
    exp.Extract,
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.Interval,
)
"""The nodes whose bare word (`exp.Var`) is a date part."""

STRING_FORMS: dict[type[exp.Expr], str] = {
    exp.ByteString: "escape strings (E'...')",
    exp.UnicodeString: "Unicode escape strings (U&'...')",
    exp.RawString: "dollar-quoted strings ($$...$$)",
    exp.BitString: "bit strings (B'...')",
    exp.HexString: "hex strings (X'...')",
    exp.National: "national strings (N'...')",
}
"""Literal forms refused: only plain '...' strings are read the same way by every
tokenizer, so the checked tree and the database cannot disagree on where a string ends."""

WRITES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
)
"""Data-modifying statements: refused anywhere in the tree, CTEs included."""

REFUSED_NODES: dict[type[exp.Expr], tuple[Refusal, str]] = {
    exp.Into: (Refusal.SELECT_INTO, "SELECT INTO is not allowed"),
    exp.Lock: (Refusal.LOCKING, "locking clauses (FOR UPDATE, FOR SHARE) are not allowed"),
    exp.Collate: (Refusal.CONSTRUCT_NOT_ALLOWED, "COLLATE is not allowed"),
    exp.Lateral: (Refusal.CONSTRUCT_NOT_ALLOWED, "LATERAL subqueries are not allowed"),
    exp.TableSample: (Refusal.CONSTRUCT_NOT_ALLOWED, "TABLESAMPLE is not allowed"),
    exp.Values: (Refusal.CONSTRUCT_NOT_ALLOWED, "VALUES lists are not allowed"),
    exp.Dot: (Refusal.CONSTRUCT_NOT_ALLOWED, "field access (a.b on a value) is not allowed"),
    exp.Placeholder: (Refusal.CONSTRUCT_NOT_ALLOWED, "parameters are not allowed"),
    exp.Parameter: (Refusal.CONSTRUCT_NOT_ALLOWED, "parameters are not allowed"),
    exp.ObjectIdentifier: (
        Refusal.TYPE_NOT_ALLOWED,
        "casts to object-identifier types (regclass, regproc, oid, ...) are not allowed",
    ),
}
"""Nodes refused with their own reason (the rest of what is not allowed gets a general one)."""
