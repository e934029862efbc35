"""What the participation API takes and gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from allmende.sdk import MAX_ID

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("must lie between 1900 and 2200") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must lie between 1900 and 2200")
    return utc


#: A point in time with a time zone, between 1900 and 2200.
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
ActName = Literal["contribute", "comment", "support", "survey", "rate"]
StatusName = Literal["new", "under_consideration", "accepted", "rejected", "implemented"]
QuestionKind = Literal["single", "multiple", "scale", "text", "ranking", "location"]
ReportReason = Literal["spam", "offensive", "personal_data", "off_topic", "other"]
Geometry = dict[str, Any]
GEOMETRY_DOC = "GeoJSON geometry (longitude/latitude, WGS 84)"
CHALLENGE_DOC = "Challenge token from GET /api/participation/challenge (anonymous callers only)"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- processes --------------------------------------------------------------------------------


class PhaseIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    starts_at: Moment
    ends_at: Moment
    allows: list[ActName] = Field(default_factory=list, max_length=5)


class ProcessCreate(Strict):
    municipality: str = Field(max_length=40, description="Key of the municipality")
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500, description="One or two plain sentences")
    description: str = Field(default="", max_length=50_000)
    area: Geometry | None = Field(default=None, description=f"Polygon: {GEOMETRY_DOC}")
    object_name: str | None = Field(default=None, max_length=200)
    categories: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=30
    )
    contact: str = Field(default="", max_length=2000)
    public: bool = False
    allow_anonymous: bool = True
    phases: list[PhaseIn] = Field(default_factory=list, max_length=20)


class ProcessUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=50_000)
    area: Geometry | None = None
    object_name: str | None = Field(default=None, max_length=200)
    categories: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=30
    )
    contact: str | None = Field(default=None, max_length=2000)
    public: bool | None = None
    allow_anonymous: bool | None = None
    phases: list[PhaseIn] | None = Field(
        default=None, max_length=20, description="Replaces every phase"
    )


class PhaseRead(BaseModel):
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    allows: list[str]
    current: bool


class EventIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    starts_at: Moment
    ends_at: Moment | None = None
    place: str = Field(default="", max_length=300)
    geometry: Geometry | None = Field(default=None, description=f"Point: {GEOMETRY_DOC}")


class EventRead(BaseModel):
    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    geometry: Geometry | None


class FaqIn(Strict):
    question: str = Field(min_length=1, max_length=500)
    answer: str = Field(min_length=1, max_length=10_000)
    position: int = Field(default=0, ge=0, le=10_000)


class FaqRead(BaseModel):
    id: int
    question: str
    answer: str
    position: int


class DraftIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=20_000)
    facts: dict[
        Annotated[str, Field(min_length=1, max_length=100)], Annotated[str, Field(max_length=500)]
    ] = Field(
        default_factory=dict, max_length=30, description="Rows of the side-by-side comparison"
    )
    position: int = Field(default=0, ge=0, le=10_000)


class DraftRead(BaseModel):
    id: int
    title: str
    summary: str
    facts: dict[str, str]
    position: int
    rating_count: int
    rating_average: float | None


class RatingIn(Strict):
    stars: int = Field(ge=1, le=5)
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class DocumentRead(BaseModel):
    id: int
    title: str
    media_type: str
    size_bytes: int
    width: int | None
    height: int | None
    draft_id: int | None
    url: str


class LayerIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    kind: Literal["geojson", "image"]
    data: dict[str, Any] | None = Field(
        default=None, description="kind geojson: a FeatureCollection (WGS 84)"
    )
    document_id: Id | None = Field(default=None, description="kind image: an uploaded image")
    bounds: list[float] | None = Field(
        default=None,
        min_length=4,
        max_length=4,
        description="kind image: west, south, east, north (degrees)",
    )
    opacity: float = Field(default=0.7, ge=0, le=1)
    position: int = Field(default=0, ge=0, le=10_000)
    draft_id: Id | None = None


class LayerRead(BaseModel):
    id: int
    title: str
    description: str
    kind: str
    draft_id: int | None
    bounds: list[float] | None
    opacity: float
    position: int
    data_url: str | None
    image_url: str | None


class SurveySummary(BaseModel):
    id: int
    title: str
    results_public: bool
    is_open: bool


class ProcessRead(BaseModel):
    id: int
    municipality: str
    title: str
    summary: str
    description: str
    area: Geometry | None
    object_name: str | None
    categories: list[str]
    contact: str
    public: bool
    allow_anonymous: bool
    state: str
    allowed_actions: list[str]
    phases: list[PhaseRead]
    created_at: datetime
    updated_at: datetime
    contribution_count: int
    url: str


class ProcessDetail(ProcessRead):
    events: list[EventRead]
    faq: list[FaqRead]
    drafts: list[DraftRead]
    layers: list[LayerRead]
    documents: list[DocumentRead]
    surveys: list[SurveySummary]


# --- contributions ----------------------------------------------------------------------------


class ContributionCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=5000)
    category: str | None = Field(default=None, max_length=100)
    geometry: Geometry | None = Field(
        default=None,
        description=f"Point, LineString or Polygon inside the process area: {GEOMETRY_DOC}",
    )
    place: str = Field(
        default="", max_length=300, description="Address or description of the place in words"
    )
    author_name: str | None = Field(
        default=None, max_length=80, description="Name to show publicly; empty: anonymous"
    )
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class ContributionRead(BaseModel):
    id: int
    process_id: int
    title: str | None = Field(description="null while hidden by moderation")
    text: str | None = Field(description="null while hidden by moderation")
    category: str | None
    geometry: Geometry | None
    place: str
    author_name: str | None
    status: str
    answer: str | None
    answered_at: datetime | None
    hidden: bool
    hidden_reason: str | None
    support_count: int
    comment_count: int
    created_at: datetime
    url: str


class CommentCreate(Strict):
    text: str = Field(min_length=1, max_length=3000)
    parent_id: Id | None = None
    author_name: str | None = Field(default=None, max_length=80)
    official: bool = Field(default=False, description="Staff: answer on behalf of the municipality")
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class CommentRead(BaseModel):
    id: int
    contribution_id: int
    parent_id: int | None
    text: str | None = Field(description="null while hidden by moderation")
    author_name: str | None
    official: bool
    hidden: bool
    hidden_reason: str | None
    created_at: datetime


class SupportIn(Strict):
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class SupportRead(BaseModel):
    contribution_id: int
    supported: bool
    support_count: int


class ChallengeRead(BaseModel):
    token: str
    usable_after_seconds: int
    expires_after_seconds: int


# --- moderation -------------------------------------------------------------------------------


class FeedbackIn(Strict):
    status: StatusName
    answer: str | None = Field(
        default=None, max_length=10_000, description="The official public answer"
    )


class ModerationIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class ReportIn(Strict):
    contribution_id: Id | None = None
    comment_id: Id | None = None
    reason: ReportReason
    text: str = Field(default="", max_length=2000)
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class ReportRead(BaseModel):
    id: int
    process_id: int
    contribution_id: int | None
    comment_id: int | None
    reason: str
    text: str
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class ResolveIn(Strict):
    resolution: str = Field(min_length=1, max_length=500)


# --- surveys ----------------------------------------------------------------------------------


class QuestionIn(Strict):
    kind: QuestionKind
    prompt: str = Field(min_length=1, max_length=500)
    help: str = Field(default="", max_length=500)
    required: bool = False
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    scale_min: int = Field(default=1, ge=0, le=10)
    scale_max: int = Field(default=5, ge=1, le=10)
    scale_min_label: str = Field(default="", max_length=100)
    scale_max_label: str = Field(default="", max_length=100)


class SurveyIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    results_public: bool = False
    position: int = Field(default=0, ge=0, le=10_000)
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)
    is_open: bool = Field(default=True, description="takes answers (while a phase allows it)")


class SurveyFields(Strict):
    """A survey's own fields, edited apart from its questions."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    results_public: bool = False


class QuestionRead(BaseModel):
    id: int
    kind: str
    prompt: str
    help: str
    required: bool
    options: list[str]
    scale_min: int
    scale_max: int
    scale_min_label: str
    scale_max_label: str


class SurveyRead(BaseModel):
    id: int
    process_id: int
    title: str
    description: str
    results_public: bool
    is_open: bool
    questions: list[QuestionRead]


class AnswerIn(Strict):
    question_id: Id
    choices: list[Annotated[int, Field(ge=0, le=100)]] | None = Field(
        default=None,
        max_length=20,
        description="single/multiple: chosen option indexes; ranking: every index, best first",
    )
    number: int | None = Field(default=None, ge=-1000, le=1000, description="scale")
    text: str | None = Field(default=None, max_length=5000, description="text, or location")
    geometry: Geometry | None = Field(default=None, description=f"location: {GEOMETRY_DOC}")


class ResponseIn(Strict):
    answers: list[AnswerIn] = Field(max_length=50)
    challenge: str | None = Field(default=None, max_length=200, description=CHALLENGE_DOC)


class ResponseRead(BaseModel):
    id: int
    survey_id: int
    created_at: datetime


class OptionCount(BaseModel):
    label: str
    count: int
    share: float = Field(description="Of the responses answering the question, 0..1")


class QuestionResult(BaseModel):
    question_id: int
    kind: str
    prompt: str
    answered: int
    options: list[OptionCount] = Field(description="choices, scale values or average ranks")
    average: float | None
    texts: list[str] | None = Field(description="Free texts; for staff only")
    locations: int


class SurveyResults(BaseModel):
    survey_id: int
    title: str
    responses: int
    questions: list[QuestionResult]


# --- accounts ---------------------------------------------------------------------------------


class FollowRead(BaseModel):
    process_id: int
    following: bool


class NotificationRead(BaseModel):
    id: str = Field(description="n<id> for stored notifications, p<phase id> for phase starts")
    kind: str
    message: str
    process_id: int | None
    contribution_id: int | None
    created_at: datetime
    read: bool
